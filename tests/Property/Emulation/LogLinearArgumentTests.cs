using FsCheck.Xunit;
using Sage.Emulation;
using Sage.Emulation.Mainloop;
using Sage.Emulation.Softmax;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// Stage LogLinearCodes, the argument z (docs/kernel-spec.md §7.8, step 5'): the vector path equals the scalar
/// definition bit for bit, and the row method's codes are the scalar codes of the scalar z; the two-step rule is
/// fma(x, 8, 55.5) of the Exp2 encoding's x bit for bit (Q smoothing, qk ≥ 2^−7, masked keys: −∞, code 0); the fused rule is
/// 8·(acc·qk − base) + 55.5 to within 8·2^−8 plus the roundings of c8 and of the fma.
/// </summary>
public class LogLinearArgumentTests
{
    private static uint Bits(float x) => BitConverter.SingleToUInt32Bits(x);

    private static double Ulp(float x) => MathF.BitIncrement(MathF.Abs(x)) - (double)MathF.Abs(x);

    /// <summary>
    /// One row's tile: a q scale and 128 k scales on both sides of 2^−7 (and at it), INT8-range sums, a visible count
    /// (−3..139), Q smoothing one time in four (with a ΔS), its S, and a base.
    /// </summary>
    private static (float Q, float[] K, bool SmoothQ, int[] Acc, int Visible, float[] Scores, float Base) RandomRow(Random rnd)
    {
        float q = (float)Math.Pow(2, -14 + 12 * rnd.NextDouble());
        var k = new float[128];
        for (int j = 0; j < 128; j++)
            k[j] = rnd.Next(6) switch
            {
                0 => 0f,
                1 => (float)Math.Pow(2, 10 * rnd.NextDouble()),
                2 => KernelConstants.FusedOffsetLimit / q * (float)(0.999 + 0.002 * rnd.NextDouble()),
                _ => (float)Math.Pow(2, -12 + 10 * rnd.NextDouble()),
            };
        bool smoothQ = rnd.Next(4) == 0;
        var acc = new int[128];
        for (int j = 0; j < 128; j++) acc[j] = rnd.Next(-(1 << 21), 1 << 21);
        var deltaS = new float[128];
        for (int j = 0; j < 128; j++) deltaS[j] = (float)((rnd.NextDouble() - 0.5) * 64);
        int visible = rnd.Next(-3, 140);
        var scores = new float[128];
        ScoreDequantization.Dequantize(acc, q, k, smoothQ ? deltaS : ReadOnlySpan<float>.Empty, visible, scores);
        float @base = rnd.Next(5) == 0 ? 0f : (float)((rnd.NextDouble() - 0.5) * (1 << rnd.Next(4, 16)));
        return (q, k, smoothQ, acc, visible, scores, @base);
    }

    [Property(MaxTest = 300)]
    public void VectorPathEqualsTheScalarDefinition(int seed)
    {
        var (q, k, smoothQ, acc, visible, scores, @base) = RandomRow(new Random(seed));
        var z = new float[128];
        var codes = new byte[128];
        var z2 = new float[128];
        LogLinearCodes.Form(acc, q, k, smoothQ, scores, visible, @base, z);
        LogLinearCodes.Encode(acc, q, k, smoothQ, scores, visible, @base, z2, codes);
        for (int j = 0; j < 128; j++)
        {
            float expected = j < Math.Clamp(visible, 0, 128)
                ? LogLinearCodes.Argument(acc[j], ScoreDequantization.ScoreScale(q, k[j]), scores[j], @base, smoothQ)
                : LogLinearCodes.TwoStep(scores[j], @base);
            Assert.True(Bits(expected) == Bits(z[j]), $"key {j}: z = {z[j]} vs scalar {expected} (visible {visible}, smoothQ {smoothQ})");
            Assert.Equal(Bits(z[j]), Bits(z2[j]));
            Assert.True(LogLinearCodes.Code(expected) == codes[j], $"key {j}: code {codes[j]} vs scalar {LogLinearCodes.Code(expected)} of z = {expected}");
        }
    }

    [Property(MaxTest = 300)]
    public void TwoStepKeysTakeFmaOfTheExp2ArgumentAndFusedKeysAreWithinTheirRoundings(int seed)
    {
        var (q, k, smoothQ, acc, visible, scores, @base) = RandomRow(new Random(seed));
        var x = new float[128];
        var z = new float[128];
        ExponentArgument.Form(acc, q, k, smoothQ, scores, visible, @base, x);
        LogLinearCodes.Form(acc, q, k, smoothQ, scores, visible, @base, z);
        for (int j = 0; j < 128; j++)
        {
            float qk = ScoreDequantization.ScoreScale(q, k[j]);
            if (j >= Math.Clamp(visible, 0, 128) || !ExponentArgument.IsFused(qk, smoothQ))
            {
                float expected = MathF.FusedMultiplyAdd(x[j], 8f, 55.5f);
                Assert.True(Bits(expected) == Bits(z[j]), $"key {j}: z = {z[j]}, fma(x = {x[j]}, 8, 55.5) = {expected}");
                if (j >= Math.Clamp(visible, 0, 128))
                {
                    Assert.True(float.IsNegativeInfinity(z[j]), $"masked key {j}: z = {z[j]}");
                    Assert.Equal(0, LogLinearCodes.Code(z[j]));
                }
                continue;
            }
            // z = 8·(acc·qk − base − ε) + 55.5 − ε8, the fma's own rounding on top: |ε| ≤ ulp(c)/2, |ε8| ≤ ulp(c8)/2.
            float c = -(KernelConstants.ScoreShifter * qk) - @base;
            float c8 = MathF.FusedMultiplyAdd(c, 8f, 55.5f);
            double exact = 8 * ((double)acc[j] * qk - @base) + 55.5;
            double slack = 8 * Ulp(c) / 2 + Ulp(c8) / 2 + Ulp(z[j]) / 2;
            Assert.True(Math.Abs(z[j] - exact) <= slack, $"key {j}: z = {z[j]}, 8·(acc·qk − base) + 55.5 = {exact}, slack {slack}");
            Assert.True(Ulp(c) / 2 <= 1.0 / 256, $"key {j}: c = {c} rounds by more than 2^−8");
        }
    }

    [Fact]
    public void ARowWithoutVisibleKeysGetsOnlyZeroCodes()
    {
        var acc = Enumerable.Repeat(5000, 128).ToArray();
        var k = Enumerable.Repeat(1e-3f, 128).ToArray();
        var scores = new float[128];
        ScoreDequantization.Dequantize(acc, 1e-2f, k, ReadOnlySpan<float>.Empty, 0, scores);
        var z = new float[128];
        var codes = Enumerable.Repeat((byte)0x55, 128).ToArray();
        LogLinearCodes.Encode(acc, 1e-2f, k, false, scores, 0, 0f, z, codes);
        Assert.All(z, v => Assert.True(float.IsNegativeInfinity(v)));
        Assert.All(codes, b => Assert.Equal(0, b));
    }

    [Fact]
    public void TheRowMaximumAtXEqualsLog2Of448GetsCode126AndXEquals0GetsCode56()
    {
        // x = log2 448 (the row maximum: P = 448 = 0x7E) and x = 0 (P = 1 = 0x38), on the two-step rule.
        Assert.Equal(0x7E, LogLinearCodes.Code(LogLinearCodes.TwoStep(KernelConstants.Log2Of448, 0f)));
        Assert.Equal(0x38, LogLinearCodes.Code(LogLinearCodes.TwoStep(3.5f, 3.5f)));
        // x = −6: P = 2^−6, the smallest E4M3 normal (code 8); x = −7.0625 and below: code 0.
        Assert.Equal(8, LogLinearCodes.Code(LogLinearCodes.TwoStep(-6f, 0f)));
        Assert.Equal(0, LogLinearCodes.Code(LogLinearCodes.TwoStep(-7.0625f, 0f)));
    }

    [Fact]
    public void TooShortOutputsAreRejectedWithBothLengths()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            LogLinearCodes.Form(new int[128], 1f, new float[128], false, new float[128], 128, 0f, new float[64]));
        Assert.Equal("arguments", e.ParamName);
        Assert.Contains("64", e.Message);
        Assert.Contains("128", e.Message);
        Assert.Throws<ArgumentException>(() =>
            LogLinearCodes.Encode(new int[128], 1f, new float[128], false, new float[128], 128, 0f, new float[128], new byte[100]));
    }
}
