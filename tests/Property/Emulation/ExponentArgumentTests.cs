using FsCheck.Xunit;
using Sage.Emulation;
using Sage.Emulation.Mainloop;
using Sage.Emulation.Softmax;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// Stage ExponentArgument (docs/kernel-spec.md §7.5): the vector path equals the scalar definition bit for bit (and the
/// one-pass Exponentiate equals Form then the scalar exp2); the fused
/// rule (qk &lt; 2^−7, no Q smoothing) is acc·qk − base to within 2^−8 plus the fma's rounding over the whole INT8
/// range of sums and bases; from 2^−7 on, with Q smoothing and for masked keys the argument is S ⊖ base as before.
/// </summary>
public class ExponentArgumentTests
{
    private static uint Bits(float x) => BitConverter.SingleToUInt32Bits(x);

    private static double Ulp(float x) => MathF.BitIncrement(MathF.Abs(x)) - (double)MathF.Abs(x);

    /// <summary>A q scale (LOG2E_SCALE folded in) and 128 k scales spanning the fused and two-step sides of 2^−7.</summary>
    private static (float Q, float[] K) Scales(Random rnd)
    {
        float q = (float)Math.Pow(2, -14 + 12 * rnd.NextDouble());
        var k = new float[128];
        for (int j = 0; j < 128; j++)
            k[j] = rnd.Next(6) switch
            {
                0 => 0f,                                                         // all-zero K group
                1 => (float)Math.Pow(2, 10 * rnd.NextDouble()),                  // qk ≥ 2^−7 for most q
                2 => KernelConstants.FusedOffsetLimit / q * (float)(0.999 + 0.002 * rnd.NextDouble()), // at the limit
                _ => (float)Math.Pow(2, -12 + 10 * rnd.NextDouble()),
            };
        return (q, k);
    }

    /// <summary>One row's tile: scales (<see cref="Scales"/>), INT8-range sums, a visible count (−3..139) and its S.</summary>
    private static (float Q, float[] K, bool SmoothQ, int[] Acc, int Visible, float[] Scores) RandomRow(Random rnd)
    {
        var (q, k) = Scales(rnd);
        bool smoothQ = rnd.Next(4) == 0;
        var acc = new int[128];
        for (int j = 0; j < 128; j++) acc[j] = rnd.Next(-(1 << 21), 1 << 21);
        int visible = rnd.Next(-3, 140);
        var scores = new float[128];
        ScoreDequantization.Dequantize(acc, q, k, ReadOnlySpan<float>.Empty, visible, scores);
        return (q, k, smoothQ, acc, visible, scores);
    }

    [Property(MaxTest = 300)]
    public void VectorPathEqualsTheScalarDefinition(int seed)
    {
        var rnd = new Random(seed);
        var (q, k, smoothQ, acc, visible, scores) = RandomRow(rnd);
        float @base = rnd.Next(5) == 0 ? 0f : (float)((rnd.NextDouble() - 0.5) * (1 << 15));
        var x = new float[128];
        ExponentArgument.Form(acc, q, k, smoothQ, scores, visible, @base, x);
        for (int j = 0; j < 128; j++)
        {
            float expected = j < Math.Clamp(visible, 0, 128)
                ? ExponentArgument.Of(acc[j], ScoreDequantization.ScoreScale(q, k[j]), scores[j], @base, smoothQ)
                : scores[j] - @base;
            Assert.True(Bits(expected) == Bits(x[j]), $"key {j}: {x[j]} vs scalar {expected} (visible {visible}, smoothQ {smoothQ})");
        }
    }

    [Property(MaxTest = 300)]
    public void ExponentiateEqualsFormThenTheScalarExp2(int seed)
    {
        var rnd = new Random(seed);
        var (q, k, smoothQ, acc, visible, scores) = RandomRow(rnd);
        float @base = (float)((rnd.NextDouble() - 0.5) * 64);
        var x = new float[128];
        ExponentArgument.Form(acc, q, k, smoothQ, scores, visible, @base, x);
        var p = new float[128];
        ExponentArgument.Exponentiate(acc, q, k, smoothQ, scores, visible, @base, p);
        for (int j = 0; j < 128; j++)
        {
            float expected = Sage.Emulation.SpecialFunctions.MufuExp2.Evaluate(x[j]);
            Assert.True(Bits(expected) == Bits(p[j]), $"key {j}: {p[j]} vs exp2({x[j]}) = {expected} (visible {visible})");
        }
    }

    [Property(MaxTest = 2000)]
    public void FusedArgumentIsAccTimesQkMinusBaseWithin2ToMinus8(int seed)
    {
        var rnd = new Random(seed);
        // qk below the limit (down to subnormal), |acc| up to 2^21, |base| up to |S|max + log2 448 < 2^14 + 9.
        float qk = ScoreDequantization.ScoreScale((float)Math.Pow(2, -7 - 140 * Math.Pow(rnd.NextDouble(), 3)), 1f);
        Assert.True(ExponentArgument.IsFused(qk, smoothQ: false));
        int acc = rnd.Next(-(1 << 21), (1 << 21) + 1);
        float score = ScoreDequantization.Score(acc, qk, null);
        double sMax = (1 << 21) * (double)qk;
        float @base = (float)((rnd.NextDouble() * 2 - 1) * sMax - Math.Log2(448));
        float x = ExponentArgument.Of(acc, qk, score, @base, smoothQ: false);
        double exact = (double)acc * qk - @base;
        Assert.True(Math.Abs(x - exact) <= 1.0 / 256 + Ulp(x) / 2,
            $"acc {acc}, qk {qk}, base {@base}: x = {x}, acc·qk − base = {exact}");
    }

    [Fact]
    public void FromTheLimitOnWithQSmoothingAndForMaskedKeysTheArgumentIsSMinusBase()
    {
        float @base = 3.25f;
        foreach (float qk in new[] { KernelConstants.FusedOffsetLimit, 0.5f, 1e6f, float.PositiveInfinity })
        {
            float s = ScoreDequantization.Score(12345, qk, null);
            Assert.Equal(Bits(s - @base), Bits(ExponentArgument.Of(12345, qk, s, @base, smoothQ: false)));
        }
        float small = ScoreDequantization.ScoreScale(1e-3f, 1f), sm = ScoreDequantization.Score(-777, small, 0.5f);
        Assert.Equal(Bits(sm - @base), Bits(ExponentArgument.Of(-777, small, sm, @base, smoothQ: true)));

        var acc = Enumerable.Repeat(1000, 128).ToArray();
        var k = Enumerable.Repeat(1e-2f, 128).ToArray();
        var scores = new float[128];
        ScoreDequantization.Dequantize(acc, 0.1f, k, ReadOnlySpan<float>.Empty, 100, scores);
        var x = new float[128];
        ExponentArgument.Form(acc, 0.1f, k, false, scores, 100, @base, x);
        Assert.All(x.Skip(100), v => Assert.True(float.IsNegativeInfinity(v)));
        Assert.All(x.Take(100), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void ARowWithoutVisibleKeysGetsNoProbability()
    {
        var acc = new int[128];
        var k = Enumerable.Repeat(1e-3f, 128).ToArray();
        var scores = new float[128];
        ScoreDequantization.Dequantize(acc, 1e-2f, k, ReadOnlySpan<float>.Empty, 0, scores);
        var x = new float[128];
        ExponentArgument.Form(acc, 1e-2f, k, false, scores, 0, 0f, x);
        var codes = new byte[128];
        OnlineSoftmax.ExponentiateArguments(x, 128, codes);
        Assert.All(x, p => Assert.Equal(0u, Bits(p)));
        Assert.All(codes, b => Assert.Equal(0, b));
    }

    [Fact]
    public void TooShortArgumentsAreRejectedWithBothLengths()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            ExponentArgument.Form(new int[128], 1f, new float[128], false, new float[128], 128, 0f, new float[64]));
        Assert.Equal("arguments", e.ParamName);
        Assert.Contains("64", e.Message);
        Assert.Contains("128", e.Message);
    }
}
