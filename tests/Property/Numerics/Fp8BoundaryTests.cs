using Sage.Numerics;
using Xunit;

namespace Sage.Property.Tests.Numerics;

/// <summary>
/// Hand-derived expected codes at every edge of the FP8 conversions. Each row is checked against the
/// production converters (scalar and span) and against the oracle, so the oracle is itself pinned down.
/// </summary>
public class Fp8BoundaryTests
{
    private static float Up(float x) => MathF.BitIncrement(x);
    private static float Down(float x) => MathF.BitDecrement(x);
    private static float Pow2(int e) => MathF.ScaleB(1f, e);
    private static readonly float NegativeNaN = BitConverter.UInt32BitsToSingle(0xFFC0_0000u);
    private static readonly float SignallingNaN = BitConverter.UInt32BitsToSingle(0x7F80_0001u);

    /// <summary>x, satfinite code, non-saturating code.</summary>
    public static TheoryData<float, byte, byte> E4M3Cases => new()
    {
        { 0f, 0x00, 0x00 }, { -0f, 0x80, 0x80 },
        { float.Epsilon, 0x00, 0x00 }, { -float.Epsilon, 0x80, 0x80 }, { 1e-20f, 0x00, 0x00 },
        { 1f, 0x38, 0x38 }, { -1f, 0xB8, 0xB8 }, { 2f, 0x40, 0x40 },
        // subnormals: spacing 2^-9; half of it ties to 0 (even)
        { Pow2(-10), 0x00, 0x00 }, { Up(Pow2(-10)), 0x01, 0x01 }, { -Pow2(-10), 0x80, 0x80 }, { Down(Pow2(-10)), 0x00, 0x00 },
        { Pow2(-9), 0x01, 0x01 }, { 3 * Pow2(-10), 0x02, 0x02 }, { 5 * Pow2(-10), 0x02, 0x02 }, { 7 * Pow2(-10), 0x04, 0x04 },
        { 7 * Pow2(-9), 0x07, 0x07 }, { 15 * Pow2(-10), 0x08, 0x08 }, { Down(15 * Pow2(-10)), 0x07, 0x07 },
        { Pow2(-6), 0x08, 0x08 }, { Down(Pow2(-6)), 0x08, 0x08 },
        // ties in normal binades go to the even code
        { 1.0625f, 0x38, 0x38 }, { Up(1.0625f), 0x39, 0x39 }, { 1.1875f, 0x3A, 0x3A }, { 1.9375f, 0x40, 0x40 }, { Down(1.9375f), 0x3F, 0x3F },
        { 240f, 0x77, 0x77 }, { 416f, 0x7D, 0x7D }, { 432f, 0x7E, 0x7E }, { Down(432f), 0x7D, 0x7D },
        // saturation edge: 448 is max; 464 is the midpoint to the absent 480 and ties to 448 (even)
        { 448f, 0x7E, 0x7E }, { 449f, 0x7E, 0x7E }, { 464f, 0x7E, 0x7E }, { Up(464f), 0x7E, 0x7F }, { 480f, 0x7E, 0x7F },
        { -464f, 0xFE, 0xFE }, { -Up(464f), 0xFE, 0xFF }, { 1e6f, 0x7E, 0x7F }, { float.MaxValue, 0x7E, 0x7F },
        { float.PositiveInfinity, 0x7E, 0x7F }, { float.NegativeInfinity, 0xFE, 0xFF },
        { float.NaN, 0x7F, 0x7F }, { NegativeNaN, 0x7F, 0x7F }, { SignallingNaN, 0x7F, 0x7F },
    };

    public static TheoryData<float, byte, byte> E5M2Cases => new()
    {
        { 0f, 0x00, 0x00 }, { -0f, 0x80, 0x80 }, { float.Epsilon, 0x00, 0x00 }, { -float.Epsilon, 0x80, 0x80 },
        { 1f, 0x3C, 0x3C }, { -1f, 0xBC, 0xBC }, { 2f, 0x40, 0x40 },
        // subnormals: spacing 2^-16
        { Pow2(-17), 0x00, 0x00 }, { Up(Pow2(-17)), 0x01, 0x01 }, { -Pow2(-17), 0x80, 0x80 },
        { Pow2(-16), 0x01, 0x01 }, { 3 * Pow2(-17), 0x02, 0x02 }, { 5 * Pow2(-17), 0x02, 0x02 }, { 7 * Pow2(-17), 0x04, 0x04 },
        { 3 * Pow2(-16), 0x03, 0x03 }, { Down(7 * Pow2(-17)), 0x03, 0x03 }, { Pow2(-14), 0x04, 0x04 },
        // ties
        { 1.125f, 0x3C, 0x3C }, { Up(1.125f), 0x3D, 0x3D }, { 1.375f, 0x3E, 0x3E }, { 1.875f, 0x40, 0x40 }, { 53248f, 0x7A, 0x7A },
        // saturation edge: 57344 is max; 61440 is the midpoint to 2^16 and ties to it (even) → overflow
        { 57344f, 0x7B, 0x7B }, { Down(61440f), 0x7B, 0x7B }, { 61440f, 0x7B, 0x7C }, { -61440f, 0xFB, 0xFC }, { 65536f, 0x7B, 0x7C },
        { 1e9f, 0x7B, 0x7C }, { float.PositiveInfinity, 0x7B, 0x7C }, { float.NegativeInfinity, 0xFB, 0xFC },
        { float.NaN, 0x7F, 0x7F }, { NegativeNaN, 0x7F, 0x7F }, { SignallingNaN, 0x7F, 0x7F },
    };

    [Theory, MemberData(nameof(E4M3Cases))]
    public void E4M3Edges(float x, byte satFinite, byte noSat)
    {
        Assert.Equal(satFinite, Ptx.CvtRnSatfiniteE4M3(x));
        Assert.Equal(noSat, Ptx.CvtRnE4M3(x));
        Assert.Equal(satFinite, Fp8E4M3.EncodeSatFinite(x));
        Assert.Equal(noSat, Fp8E4M3.Encode(x));
        Assert.Equal(satFinite, Fp8Oracle.E4M3.ExpectedSatFinite(x));
        Assert.Equal(noSat, Fp8Oracle.E4M3.ExpectedNoSat(x));
        Assert.Equal(satFinite, SpanOf(x, Ptx.CvtRnSatfiniteE4M3));
        Assert.Equal(noSat, SpanOf(x, Ptx.CvtRnE4M3));
    }

    [Theory, MemberData(nameof(E5M2Cases))]
    public void E5M2Edges(float x, byte satFinite, byte noSat)
    {
        Assert.Equal(satFinite, Ptx.CvtRnSatfiniteE5M2(x));
        Assert.Equal(noSat, Ptx.CvtRnE5M2(x));
        Assert.Equal(satFinite, Fp8E5M2.EncodeSatFinite(x));
        Assert.Equal(noSat, Fp8E5M2.Encode(x));
        Assert.Equal(satFinite, Fp8Oracle.E5M2.ExpectedSatFinite(x));
        Assert.Equal(noSat, Fp8Oracle.E5M2.ExpectedNoSat(x));
        Assert.Equal(satFinite, SpanOf(x, Ptx.CvtRnSatfiniteE5M2));
        Assert.Equal(noSat, SpanOf(x, Ptx.CvtRnE5M2));
    }

    /// <summary>Puts x in every lane position of a 100-element span (lanes 0–63 take the 512-bit body, 64–95 the 256-bit body, 96–99 the scalar tail).</summary>
    private static byte SpanOf(float x, SpanConverter convert)
    {
        var src = new float[100];
        var dst = new byte[100];
        byte? seen = null;
        for (int position = 0; position < src.Length; position += 7)
        {
            Array.Fill(src, 1f);
            src[position] = x;
            convert(src, dst);
            Assert.True(seen is null || seen == dst[position], $"lane {position} disagrees");
            seen = dst[position];
        }
        return seen!.Value;
    }

    private delegate void SpanConverter(ReadOnlySpan<float> src, Span<byte> dst);

    [Fact]
    public void PackedFormsPutTheFirstOperandInTheUpperByte()
    {
        Assert.Equal(0x3840, Ptx.CvtRnSatfiniteE4M3x2(1f, 2f));
        Assert.Equal(0x7E7F, Ptx.CvtRnSatfiniteE4M3x2(float.PositiveInfinity, float.NaN));
        Assert.Equal(0x7F38, Ptx.CvtRnE4M3x2(1000f, 1f));
        Assert.Equal(0x3C40, Ptx.CvtRnSatfiniteE5M2x2(1f, 2f));
        Assert.Equal(0xFC3C, Ptx.CvtRnE5M2x2(float.NegativeInfinity, 1f));
        Assert.Equal(0x3C00_4000u, Ptx.CvtRnF16x2(1f, 2f));
        Assert.Equal(0x3F80_4000u, Ptx.CvtRnBf16x2(1f, 2f));
    }

    [Fact]
    public void Fp8ToF16x2WidensExactlyWithTheUpperByteInTheUpperHalf()
    {
        for (int hi = 0; hi < 256; hi++)
        for (int lo = 0; lo < 256; lo += 17)
        {
            ushort codes = (ushort)((hi << 8) | lo);
            AssertF16Of(Fp8Oracle.E4M3.Value(hi), (ushort)(Ptx.CvtRnF16x2E4M3x2(codes) >> 16));
            AssertF16Of(Fp8Oracle.E4M3.Value(lo), (ushort)Ptx.CvtRnF16x2E4M3x2(codes));
            AssertF16Of(Fp8Oracle.E5M2.Value(hi), (ushort)(Ptx.CvtRnF16x2E5M2x2(codes) >> 16));
            AssertF16Of(Fp8Oracle.E5M2.Value(lo), (ushort)Ptx.CvtRnF16x2E5M2x2(codes));
        }
    }

    private static void AssertF16Of(double expected, ushort actualBits)
    {
        if (double.IsNaN(expected))
            Assert.Equal(Ptx.CanonicalNaN16, actualBits);
        else
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits((double)Ptx.HalfToSingle(actualBits)));
    }
}
