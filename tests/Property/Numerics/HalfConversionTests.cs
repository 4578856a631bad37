using Sage.Numerics;
using Xunit;

namespace Sage.Property.Tests.Numerics;

/// <summary>
/// FP16 and BF16 conversions against a round-to-nearest-even oracle written in double arithmetic: the float is
/// split into a multiple of the target ulp below it and the next multiple above, and the nearer one wins
/// (ties to the even multiple). Doubles hold every quantity here exactly.
/// </summary>
public class HalfConversionTests
{
    /// <summary>Expected bits for a target with <paramref name="mantissaBits"/> fraction bits and minimum normal exponent <paramref name="minExponent"/>.</summary>
    private static ushort Oracle(float x, int mantissaBits, int minExponent, int maxExponent, Func<double, ushort> encodeExact)
    {
        if (float.IsNaN(x)) return Ptx.CanonicalNaN16;
        double magnitude = Math.Abs((double)x);
        bool negative = BitConverter.SingleToUInt32Bits(x) >> 31 == 1;
        double result;
        if (double.IsInfinity(magnitude))
            result = double.PositiveInfinity;
        else if (magnitude == 0)
            result = 0;
        else
        {
            int exponent = Math.Max(Math.ILogB(magnitude), minExponent);
            double ulp = Math.ScaleB(1.0, exponent - mantissaBits);
            double steps = Math.Floor(magnitude / ulp);
            double below = steps * ulp, above = below + ulp, distBelow = magnitude - below, distAbove = above - magnitude;
            result = distBelow < distAbove ? below : distAbove < distBelow ? above : (steps % 2 == 0 ? below : above);
            if (result >= Math.ScaleB(1.0, maxExponent + 1)) result = double.PositiveInfinity;
        }
        ushort bits = encodeExact(result);
        return negative ? (ushort)(bits | 0x8000) : bits;
    }

    /// <summary>FP16 bits of an exactly representable non-negative value, assembled field by field.</summary>
    private static ushort ExactF16(double v)
    {
        if (double.IsInfinity(v)) return 0x7C00;
        if (v < Math.ScaleB(1.0, -14)) return (ushort)(v / Math.ScaleB(1.0, -24));
        int e = Math.ILogB(v);
        return (ushort)(((e + 15) << 10) | (int)((v / Math.ScaleB(1.0, e) - 1) * 1024));
    }

    private static ushort ExactBf16(double v)
    {
        if (double.IsInfinity(v)) return 0x7F80;
        if (v < Math.ScaleB(1.0, -126)) return (ushort)(v / Math.ScaleB(1.0, -133));
        int e = Math.ILogB(v);
        return (ushort)(((e + 127) << 7) | (int)((v / Math.ScaleB(1.0, e) - 1) * 128));
    }

    internal static ushort OracleF16(float x) => Oracle(x, 10, -14, 15, ExactF16);
    internal static ushort OracleBf16(float x) => Oracle(x, 7, -126, 127, ExactBf16);

    public static TheoryData<float, ushort, ushort> Edges => new()
    {
        // x, FP16 bits, BF16 bits
        { 0f, 0x0000, 0x0000 }, { -0f, 0x8000, 0x8000 }, { 1f, 0x3C00, 0x3F80 }, { -2f, 0xC000, 0xC000 },
        { 65504f, 0x7BFF, 0x4780 }, { 65519.996f, 0x7BFF, 0x4780 }, { 65520f, 0x7C00, 0x4780 }, { -65520f, 0xFC00, 0xC780 },
        { MathF.ScaleB(1f, -24), 0x0001, 0x3380 }, { MathF.ScaleB(1f, -25), 0x0000, 0x3300 }, { MathF.BitIncrement(MathF.ScaleB(1f, -25)), 0x0001, 0x3300 },
        { MathF.ScaleB(3f, -25), 0x0002, 0x33C0 }, { MathF.ScaleB(1f, -14), 0x0400, 0x3880 },
        { 1f + MathF.ScaleB(1f, -11), 0x3C00, 0x3F80 }, { 1f + MathF.ScaleB(3f, -11), 0x3C02, 0x3F80 },
        { 1f + MathF.ScaleB(1f, -8), 0x3C04, 0x3F80 }, { 1f + MathF.ScaleB(3f, -8), 0x3C0C, 0x3F82 }, { MathF.BitIncrement(1f + MathF.ScaleB(1f, -8)), 0x3C04, 0x3F81 },
        { float.MaxValue, 0x7C00, 0x7F80 }, { float.PositiveInfinity, 0x7C00, 0x7F80 }, { float.NegativeInfinity, 0xFC00, 0xFF80 },
        { float.Epsilon, 0x0000, 0x0000 }, { -float.Epsilon, 0x8000, 0x8000 }, { MathF.ScaleB(1f, -133), 0x0000, 0x0001 },
        { float.NaN, 0x7FFF, 0x7FFF }, { BitConverter.UInt32BitsToSingle(0x7F80_0001u), 0x7FFF, 0x7FFF },
    };

    [Theory, MemberData(nameof(Edges))]
    public void EdgesConvertAsSpecified(float x, ushort f16, ushort bf16)
    {
        Assert.Equal(f16, Ptx.CvtRnF16(x));
        Assert.Equal(f16, OracleF16(x));
        Assert.Equal(bf16, Ptx.CvtRnBf16(x));
        Assert.Equal(bf16, BFloat16.FromSingle(x).Bits);
        Assert.Equal(bf16, OracleBf16(x));
    }

    /// <summary>All 2^23 floats of [1,2) hit every FP16 and BF16 rounding case of a binade; then the subnormal-target
    /// binades, the overflow binade, float32 subnormals, and 10^7 random floats.</summary>
    [Theory]
    [InlineData(0)] [InlineData(-15)] [InlineData(-25)] [InlineData(15)] [InlineData(-127)] [InlineData(-1)]
    public void EveryFloatOfABinadeRoundsLikeTheOracle(int exponent)
    {
        // exponent −127 selects the float32 subnormals (biased exponent field 0)
        uint first = (uint)(exponent + 127) << 23;
        // the sign flips every 64 inputs so both signs meet every rounding pattern
        Sweep(1L << 23, i => BitConverter.UInt32BitsToSingle((first + (uint)i) | ((uint)(i >> 6) & 1u) << 31));
    }

    [Fact]
    public void TenMillionRandomFloatsRoundLikeTheOracle() => Sweep(10_000_000, i =>
    {
        ulong h = Fp8ExhaustiveTests.SplitMix64((ulong)i ^ 0xB16Bu);
        uint bits = (uint)h;
        if ((h >> 32 & 1) != 0) // half of them near the FP16 range, where its rounding cases are
            bits = (bits & 0x807F_FFFFu) | ((uint)(127 - 26 + (int)((h >> 33) % 44)) << 23);
        return BitConverter.UInt32BitsToSingle(bits);
    });

    [Fact]
    public void EveryFp16ValueWidensExactlyAndRoundTrips()
    {
        for (int bits = 0; bits < 65536; bits++)
        {
            float x = Ptx.HalfToSingle((ushort)bits);
            int e = (bits >> 10) & 0x1F, m = bits & 0x3FF;
            if (e == 31 && m != 0)
            {
                Assert.True(float.IsNaN(x));
                continue;
            }
            double magnitude = e == 31 ? double.PositiveInfinity : e == 0 ? m * Math.ScaleB(1.0, -24) : (1024 + m) * Math.ScaleB(1.0, e - 25);
            double expected = (bits & 0x8000) != 0 ? -magnitude : magnitude;
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(x));
            Assert.Equal((ushort)bits, Ptx.CvtRnF16(x));
        }
    }

    [Fact]
    public void EveryBf16ValueRoundTrips()
    {
        for (int bits = 0; bits < 65536; bits++)
        {
            float x = Ptx.Bf16ToSingle((ushort)bits);
            Assert.Equal((uint)bits << 16, BitConverter.SingleToUInt32Bits(x));
            Assert.Equal(float.IsNaN(x) ? Ptx.CanonicalNaN16 : (ushort)bits, Ptx.CvtRnBf16(x));
        }
    }

    private static void Sweep(long count, Func<long, float> inputAt)
    {
        const int chunk = 1 << 16;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        Parallel.For(0L, (count + chunk - 1) / chunk, c =>
        {
            long end = Math.Min(count, (c + 1) * chunk);
            for (long i = c * chunk; i < end && failures.IsEmpty; i++)
            {
                float x = inputAt(i);
                ushort f16 = Ptx.CvtRnF16(x), expectedF16 = OracleF16(x);
                ushort bf16 = Ptx.CvtRnBf16(x), expectedBf16 = OracleBf16(x);
                if (f16 != expectedF16 || bf16 != expectedBf16)
                    failures.Enqueue($"x = {x:R} (0x{BitConverter.SingleToUInt32Bits(x):X8}): f16 0x{f16:X4} expected 0x{expectedF16:X4}, bf16 0x{bf16:X4} expected 0x{expectedBf16:X4}");
            }
        });
        Fp8ExhaustiveTests.AssertNone(failures.ToList());
    }
}
