using Sage.Numerics;
using Xunit;

namespace Sage.Property.Tests.Numerics;

/// <summary>All 256 codes of each FP8 format decode to the value given by the bit-layout formula.</summary>
public class Fp8DecodeTests
{
    [Fact]
    public void E4M3DecodesEveryCodeByTheFormula() => AssertAllCodes(Fp8Oracle.E4M3, Fp8E4M3.Decode, Fp8E4M3.DecodeTable, Fp8E4M3.IsNaN, Fp8E4M3.Decode);

    [Fact]
    public void E5M2DecodesEveryCodeByTheFormula() => AssertAllCodes(Fp8Oracle.E5M2, Fp8E5M2.Decode, Fp8E5M2.DecodeTable, Fp8E5M2.IsNaN, Fp8E5M2.Decode);

    [Fact]
    public void FormatConstantsMatchTheLayout()
    {
        Assert.Equal(448f, Fp8E4M3.MaxFinite);
        Assert.Equal(Fp8E4M3.MaxFinite, Fp8E4M3.Decode(Fp8E4M3.MaxFiniteCode));
        Assert.Equal(Fp8E4M3.MaxFinite, Fp8Oracle.E4M3.MaxFinite);
        Assert.Equal(Fp8E4M3.MinSubnormal, Fp8E4M3.Decode(0x01));
        Assert.Equal(Fp8E4M3.MinNormal, Fp8E4M3.Decode(0x08));
        Assert.Equal(57344f, Fp8E5M2.MaxFinite);
        Assert.Equal(Fp8E5M2.MaxFinite, Fp8E5M2.Decode(Fp8E5M2.MaxFiniteCode));
        Assert.Equal(Fp8E5M2.MaxFinite, Fp8Oracle.E5M2.MaxFinite);
        Assert.Equal(Fp8E5M2.MinSubnormal, Fp8E5M2.Decode(0x01));
        Assert.Equal(Fp8E5M2.MinNormal, Fp8E5M2.Decode(0x04));
        Assert.Equal(float.PositiveInfinity, Fp8E5M2.Decode(Fp8E5M2.InfinityCode));
        Assert.Equal(float.NegativeInfinity, Fp8E5M2.Decode(0xFC));
        Assert.Equal(2, Enumerable.Range(0, 256).Count(c => Fp8E4M3.IsNaN((byte)c)));
        Assert.Equal(6, Enumerable.Range(0, 256).Count(c => Fp8E5M2.IsNaN((byte)c)));
    }

    private delegate void SpanDecoder(ReadOnlySpan<byte> src, Span<float> dst);

    private static void AssertAllCodes(Fp8Oracle format, Func<byte, float> decode, ReadOnlySpan<float> table, Func<byte, bool> isNaN, SpanDecoder decodeSpan)
    {
        Assert.Equal(256, table.Length);
        var codes = Enumerable.Range(0, 256).Select(c => (byte)c).ToArray();
        var spanDecoded = new float[256];
        decodeSpan(codes, spanDecoded);
        for (int c = 0; c < 256; c++)
        {
            double expected = format.Value(c);
            Assert.Equal(double.IsNaN(expected), isNaN((byte)c));
            foreach (float actual in new[] { decode((byte)c), table[c], spanDecoded[c] })
            {
                if (double.IsNaN(expected))
                    Assert.Equal(0x7FFF_FFFFu, BitConverter.SingleToUInt32Bits(actual)); // canonical NaN
                else // bit comparison, so −0 must be −0
                    Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual),
                        $"{format} code 0x{c:X2}: expected {expected:R}, got {actual:R}");
            }
        }
    }
}
