using Sage.Cli.Commands;
using Sage.Cli.TensorCores;
using Sage.Emulation.TensorCores;
using Sage.Numerics;
using Xunit;

namespace Sage.Property.Tests.Cli;

public class DotCaseReaderTests
{
    private static readonly IDotProductModel E4M3 = TensorCoreVariants.Get("wgmma.e4m3.f32");

    private static string Hex(float x) => BitConverter.SingleToUInt32Bits(x).ToString("x8");

    private static string Line(float[] a, float[] b, float c) =>
        $"{string.Join(',', a.Select(Hex))};{string.Join(',', b.Select(Hex))};{Hex(c)}";

    [Fact]
    public void ParsesAndEvaluatesAnExactCase()
    {
        var a = Enumerable.Repeat(1f, 32).ToArray();
        var b = Enumerable.Range(0, 32).Select(i => i % 2 == 0 ? 0.5f : -0.25f).ToArray();
        var cases = DotCaseReader.Read(new StringReader("# comment\n\n" + Line(a, b, 2f)), E4M3).ToList();
        var single = Assert.Single(cases);
        Assert.Equal(3, single.Line);
        // 16·0.5 − 16·0.25 + 2 = 6, exact in every model.
        Assert.Equal(BitConverter.SingleToUInt32Bits(6f), TcDotCommand.Evaluate(E4M3, single));
    }

    [Fact]
    public void RejectsAValueNotRepresentableInTheInputFormatNamingTheLine()
    {
        var a = Enumerable.Repeat(1f, 32).ToArray();
        a[7] = 1.1f; // not an E4M3 value
        var b = Enumerable.Repeat(1f, 32).ToArray();
        var e = Assert.Throws<FormatException>(() => DotCaseReader.Read(new StringReader(Line(a, b, 0f)), E4M3).ToList());
        Assert.Contains("line 1", e.Message);
        Assert.Contains("a8", e.Message);
        Assert.Contains("E4M3", e.Message);
    }

    [Theory]
    [InlineData("3f800000;3f800000;00000000", "has 1 value(s)")]
    [InlineData("3f800000", "3 fields")]
    public void RejectsMalformedLines(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => DotCaseReader.Read(new StringReader(text), E4M3).ToList());
        Assert.Contains(expected, e.Message);
        Assert.Contains("line 1", e.Message);
    }

    [Fact]
    public void RejectsATokenThatIsNotEightHexDigits()
    {
        var ones = Enumerable.Repeat(1f, 32).ToArray();
        string line = Line(ones, ones, 0f);
        var e = Assert.Throws<FormatException>(() => DotCaseReader.Parse(line[..^8] + "3f80000g", 2, E4M3));
        Assert.Contains("line 2: c = '3f80000g' is not an 8-hex-digit", e.Message);
    }

    [Fact]
    public void Fp16AccumulatorRejectsACThatIsNotAnFp16Value()
    {
        var f16 = TensorCoreVariants.Get("wgmma.e4m3.f16");
        var ones = Enumerable.Repeat(1f, 32).ToArray();
        var e = Assert.Throws<FormatException>(() => DotCaseReader.Parse(Line(ones, ones, 1.0001f), 4, f16));
        Assert.Contains("line 4", e.Message);
        Assert.Contains("Fp16", e.Message);
    }

    [Fact]
    public void IntegerVariantWrapsModulo2Pow32()
    {
        var s8 = TensorCoreVariants.Get("wgmma.s8.s32");
        var a = Enumerable.Repeat(-128f, 32).ToArray();
        var dot = DotCaseReader.Parse(Line(a, a, 2147483520f), 1, s8);
        // 32·16384 = 524288 added to c = 2147483520 (a float32-exact int) wraps past int.MaxValue.
        uint expected = unchecked((uint)(2147483520 + 524288));
        Assert.Equal(expected, TcDotCommand.Evaluate(s8, dot));
    }

    [Fact]
    public void UnknownVariantListsTheValidOnes()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => TensorCoreVariants.Get("wgmma.bogus"));
        Assert.Contains("wgmma.e4m3.f32", e.Message);
    }

    [Fact]
    public void Fp8CodecAgreesWithTheReaderOnRepresentability()
    {
        // Every E4M3 code's value must be accepted (NaN excepted).
        for (int code = 0; code < 256; code++)
        {
            if (Fp8E4M3.IsNaN((byte)code)) continue;
            float x = Fp8E4M3.Decode((byte)code);
            var a = Enumerable.Repeat(x, 32).ToArray();
            var b = Enumerable.Repeat(1f, 32).ToArray();
            DotCaseReader.Parse(Line(a, b, 0f), 1, E4M3);
        }
    }
}
