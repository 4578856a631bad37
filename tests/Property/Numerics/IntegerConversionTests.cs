using FsCheck.Xunit;
using Sage.Numerics;
using Xunit;

namespace Sage.Property.Tests.Numerics;

/// <summary>Float ↔ integer conversions against Math.Round(ToEven) / truncation and explicit clamps.</summary>
public class IntegerConversionTests
{
    private static int ExpectedRni(float x, int min, int max) =>
        float.IsNaN(x) ? 0 : (int)Math.Clamp(Math.Round((double)x, MidpointRounding.ToEven), min, max);

    public static TheoryData<float, sbyte, sbyte> RoundingEdges => new()
    {
        // x, s8, s4
        { 0f, 0, 0 }, { -0f, 0, 0 }, { 0.5f, 0, 0 }, { -0.5f, 0, 0 }, { 1.5f, 2, 2 }, { -1.5f, -2, -2 }, { 2.5f, 2, 2 },
        { MathF.BitIncrement(0.5f), 1, 1 }, { MathF.BitDecrement(1.5f), 1, 1 },
        { 6.5f, 6, 6 }, { 7.5f, 8, 7 }, { -7.5f, -8, -8 }, { -8.5f, -8, -8 }, { -9.5f, -10, -8 },
        { 126.5f, 126, 7 }, { 127.5f, 127, 7 }, { -127.5f, -128, -8 }, { 128.5f, 127, 7 }, { -128.5f, -128, -8 }, { -129f, -128, -8 },
        { 1e30f, 127, 7 }, { -1e30f, -128, -8 },
        { float.PositiveInfinity, 127, 7 }, { float.NegativeInfinity, -128, -8 }, { float.NaN, 0, 0 },
        { BitConverter.UInt32BitsToSingle(0xFFC0_0000u), 0, 0 }, { float.Epsilon, 0, 0 },
    };

    [Theory, MemberData(nameof(RoundingEdges))]
    public void RoundToNearestEvenAndSaturate(float x, sbyte s8, sbyte s4)
    {
        Assert.Equal(s8, Ptx.CvtRniSatS8(x));
        Assert.Equal(s4, Ptx.CvtRniSatS4(x));
        Assert.Equal(s8, ExpectedRni(x, -128, 127));
        Assert.Equal(s4, ExpectedRni(x, -8, 7));
        Assert.Equal(s8, SpanOf(x, Ptx.CvtRniSatS8));
        Assert.Equal(s4, SpanOf(x, Ptx.CvtRniSatS4));
    }

    private delegate void SpanRounder(ReadOnlySpan<float> src, Span<sbyte> dst);

    private static sbyte SpanOf(float x, SpanRounder round)
    {
        var src = new float[100];
        var dst = new sbyte[100];
        sbyte? seen = null;
        for (int position = 0; position < src.Length; position += 3)
        {
            Array.Fill(src, 3f);
            src[position] = x;
            round(src, dst);
            Assert.True(seen is null || seen == dst[position], $"lane {position} disagrees");
            seen = dst[position];
        }
        return seen!.Value;
    }

    /// <summary>Every float in [-300, 300] that is a multiple of 2^-8 (all half-way points included), plus random floats, scalar and span.</summary>
    [Fact]
    public void RoundingMatchesMathRoundOnAGridAndRandomly()
    {
        var grid = Enumerable.Range(-300 * 256, 600 * 256 + 1).Select(i => i / 256f);
        var random = Enumerable.Range(0, 1_000_000).Select(i => BitConverter.UInt32BitsToSingle((uint)Fp8ExhaustiveTests.SplitMix64((ulong)i ^ 0x1A7u)));
        float[] inputs = grid.Concat(random).ToArray();
        var s8 = new sbyte[inputs.Length];
        var s4 = new sbyte[inputs.Length];
        for (int start = 0; start < inputs.Length; start += 100) // slices of 100 exercise every vector body and the tail
        {
            int length = Math.Min(100, inputs.Length - start);
            Ptx.CvtRniSatS8(inputs.AsSpan(start, length), s8.AsSpan(start, length));
            Ptx.CvtRniSatS4(inputs.AsSpan(start, length), s4.AsSpan(start, length));
        }
        for (int i = 0; i < inputs.Length; i++)
        {
            float x = inputs[i];
            int e8 = ExpectedRni(x, -128, 127), e4 = ExpectedRni(x, -8, 7);
            if (Ptx.CvtRniSatS8(x) != e8 || s8[i] != e8 || Ptx.CvtRniSatS4(x) != e4 || s4[i] != e4)
                Assert.Fail($"x = {x:R}: s8 {Ptx.CvtRniSatS8(x)}/{s8[i]} expected {e8}; s4 {Ptx.CvtRniSatS4(x)}/{s4[i]} expected {e4}");
        }
    }

    [Fact]
    public void S4PacksLowNibbleFirstAndRoundTripsEveryPair()
    {
        for (int lo = -8; lo <= 7; lo++)
        for (int hi = -8; hi <= 7; hi++)
        {
            byte packed = Ptx.PackS4x2((sbyte)lo, (sbyte)hi);
            Assert.Equal((lo & 0xF) | ((hi & 0xF) << 4), packed);
            Assert.Equal(((sbyte)lo, (sbyte)hi), Ptx.UnpackS4x2(packed));
        }
        for (int b = 0; b < 256; b++)
        {
            (sbyte lo, sbyte hi) = Ptx.UnpackS4x2((byte)b);
            Assert.Equal(b, Ptx.PackS4x2(lo, hi));
        }
        Assert.Equal(0x8F, Ptx.PackS4x2(-1, -8));
        Assert.Throws<ArgumentOutOfRangeException>("lo", () => Ptx.PackS4x2(8, 0));
        Assert.Throws<ArgumentOutOfRangeException>("hi", () => Ptx.PackS4x2(0, -9));
    }

    public static TheoryData<float, int> TruncationEdges => new()
    {
        { 0f, 0 }, { -0f, 0 }, { 0.99999994f, 0 }, { -0.99999994f, 0 }, { 1.5f, 1 }, { -1.5f, -1 }, { 2.5f, 2 }, { -2.9f, -2 },
        { 2147483520f, 2147483520 }, { 2147483648f, int.MaxValue }, { -2147483648f, int.MinValue }, { -2147483904f, int.MinValue },
        { 1e20f, int.MaxValue }, { -1e20f, int.MinValue },
        { float.PositiveInfinity, int.MaxValue }, { float.NegativeInfinity, int.MinValue }, { float.NaN, 0 },
    };

    [Theory, MemberData(nameof(TruncationEdges))]
    public void TruncateTowardZeroAndSaturate(float x, int expected) => Assert.Equal(expected, Ptx.CvtRziS32(x));

    [Property(MaxTest = 5000)]
    public bool TruncationMatchesMathTruncate(float x) =>
        Ptx.CvtRziS32(x) == (float.IsNaN(x) ? 0 : (int)Math.Clamp(Math.Truncate((double)x), int.MinValue, int.MaxValue));

    public static TheoryData<int, float, float> IntToFloatEdges => new()
    {
        // x, round-to-nearest-even, round-toward-zero
        { 0, 0f, 0f }, { 16777216, 16777216f, 16777216f }, { 16777217, 16777216f, 16777216f }, { 16777219, 16777220f, 16777218f },
        { 16777218, 16777218f, 16777218f }, { -16777217, -16777216f, -16777216f }, { -16777219, -16777220f, -16777218f },
        { int.MaxValue, 2147483648f, 2147483520f }, { int.MinValue, -2147483648f, -2147483648f }, { -int.MaxValue, -2147483648f, -2147483520f },
        { 33554435, 33554436f, 33554432f },
    };

    [Theory, MemberData(nameof(IntToFloatEdges))]
    public void IntToFloatRoundsAsNamed(int x, float nearestEven, float towardZero)
    {
        Assert.Equal(nearestEven, Ptx.CvtRnF32S32(x));
        Assert.Equal(towardZero, Ptx.CvtRzF32S32(x));
    }

    /// <summary>All ints with |x| &lt; 2^25 (float's exact range and the first binade past it, both signs) plus 2^24 random ints, against a double oracle.</summary>
    [Fact]
    public void IntToFloatMatchesADoubleOracle()
    {
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        const long exhaustive = 1L << 26, total = exhaustive + (1L << 24), partSize = 1L << 18;
        Parallel.For(0, total / partSize, part =>
        {
            for (long j = part * partSize; j < (part + 1) * partSize && failures.IsEmpty; j++)
            {
                int x = j < exhaustive ? (int)(j - exhaustive / 2) : (int)Fp8ExhaustiveTests.SplitMix64((ulong)j);
                double exact = x;
                float nearest = (float)exact; // double → float rounds to nearest even; the int is exact in double
                float towardZero = Math.Abs((double)nearest) > Math.Abs(exact)
                    ? (x > 0 ? MathF.BitDecrement(nearest) : MathF.BitIncrement(nearest))
                    : nearest;
                if (Ptx.CvtRnF32S32(x) != nearest || Ptx.CvtRzF32S32(x) != towardZero)
                    failures.Enqueue($"x = {x}: rn {Ptx.CvtRnF32S32(x):R} expected {nearest:R}; rz {Ptx.CvtRzF32S32(x):R} expected {towardZero:R}");
            }
        });
        Fp8ExhaustiveTests.AssertNone(failures.ToList());
    }
}
