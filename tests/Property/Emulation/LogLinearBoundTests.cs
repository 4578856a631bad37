using FsCheck.Xunit;
using Sage.Emulation;
using Sage.Emulation.Mainloop;
using Sage.Emulation.Softmax;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// The bound that makes LogLinear safe (docs/kernel-spec.md §7.8, "Why it is safe"): with base = m ⊖ log2 448 formed as
/// the online softmax forms it, every z of the tile is at most 126.1, so no code exceeds 126 = 0x7E (448): never 0x7F
/// (E4M3 NaN), never above 448 (the FP16 accumulator bound of §8). Under the fused rule this holds over the whole INT8
/// range of sums (|acc| &lt; 2^21) and every qk below 2^−7, and a key at the row maximum gets exactly 126; under the
/// two-step rule for every score magnitude, because LogLinear's base is rounded toward +∞ (§7 step 4'), and the row
/// maximum gets 126 while |m| &lt; 2^19 (beyond, the float grid of m is coarser than the code steps).
/// </summary>
public class LogLinearBoundTests
{
    /// <summary>
    /// A tile of one row in the worst case of the fused rule: qk just below 2^−7 (largest shift, so |c| near 2^17) or
    /// anywhere below it, sums up to ±2^21, the tile maximum at a random key, and a running maximum from earlier tiles
    /// (−∞, below or above the tile's).
    /// </summary>
    [Property(MaxTest = 2000)]
    public void FusedRuleCodesStayAtMost126AndTheRowMaximumGets126(int seed)
    {
        var rnd = new Random(seed);
        float qk = rnd.Next(2) == 0
            ? ScoreDequantization.ScoreScale(KernelConstants.FusedOffsetLimit * (1 - (float)Math.Pow(2, -20 * rnd.NextDouble() - 1)), 1f)
            : ScoreDequantization.ScoreScale((float)Math.Pow(2, -7 - 30 * rnd.NextDouble()), 1f);
        Assert.True(ExponentArgument.IsFused(qk, smoothQ: false));
        var acc = new int[128];
        int top = rnd.Next(-(1 << 21), 1 << 21);
        int spread = 1 << rnd.Next(0, 22);
        for (int j = 0; j < 128; j++) acc[j] = Math.Max(-(1 << 21), top - rnd.Next(0, spread));
        int argMax = rnd.Next(128);
        acc[argMax] = top;
        var (scores, step) = Softmax(acc, qk, rnd);
        var z = new float[128];
        var codes = new byte[128];
        LogLinearCodes.Encode(acc, qk, Enumerable.Repeat(1f, 128).ToArray(), false, scores, 128, step.Base, z, codes);
        for (int j = 0; j < 128; j++)
        {
            Assert.True(z[j] <= 126.1f, $"key {j}: z = {z[j]} (acc {acc[j]}, qk {qk}, base {step.Base})");
            Assert.True(codes[j] <= 126, $"key {j}: code {codes[j]} (z = {z[j]})");
        }
        if (step.NewMax == step.TileMax)
            Assert.True(codes[argMax] == 126, $"row maximum: code {codes[argMax]}, z = {z[argMax]} (acc {top}, qk {qk}, base {step.Base})");
    }

    /// <summary>The two-step rule (Q smoothing, qk ≥ 2^−7, scores up to 2^61): no code above 126, the row maximum at 126 while |m| &lt; 2^19.</summary>
    [Property(MaxTest = 2000)]
    public void TwoStepRuleCodesStayAtMost126AtEveryMagnitude(int seed)
    {
        var rnd = new Random(seed);
        bool smoothQ = rnd.Next(2) == 0;
        float qk = ScoreDequantization.ScoreScale(smoothQ ? (float)Math.Pow(2, 60 * rnd.NextDouble() - 20) : KernelConstants.FusedOffsetLimit * (float)Math.Pow(2, 47 * rnd.NextDouble()), 1f);
        Assert.False(ExponentArgument.IsFused(qk, smoothQ));
        double limit = 1 << 21;
        var acc = new int[128];
        int top = (int)((rnd.NextDouble() * 2 - 1) * Math.Min(limit, 1 << 21));
        int spread = 1 << rnd.Next(0, 22);
        for (int j = 0; j < 128; j++) acc[j] = (int)Math.Max(-Math.Min(limit, 1 << 21), top - (long)rnd.Next(0, spread));
        int argMax = rnd.Next(128);
        acc[argMax] = top;
        var deltaS = smoothQ ? Enumerable.Repeat((float)((rnd.NextDouble() - 0.5) * 1e4), 128).ToArray() : null;
        var (scores, step) = Softmax(acc, qk, rnd, deltaS);
        var z = new float[128];
        var codes = new byte[128];
        LogLinearCodes.Encode(acc, qk, Enumerable.Repeat(1f, 128).ToArray(), smoothQ, scores, 128, step.Base, z, codes);
        for (int j = 0; j < 128; j++)
            Assert.True(codes[j] <= 126, $"key {j}: code {codes[j]} (z = {z[j]}, S = {scores[j]}, base {step.Base})");
        if (step.NewMax == step.TileMax && Math.Abs(step.NewMax) < 1 << 19)
            Assert.True(codes[argMax] == 126, $"row maximum: code {codes[argMax]}, z = {z[argMax]} (S {scores[argMax]}, base {step.Base})");
    }

    /// <summary>S of the row (the shifter form, or fma(acc, qk, ΔS)) and the online-softmax step from a random earlier running maximum.</summary>
    private static (float[] Scores, OnlineSoftmax.Step Step) Softmax(int[] acc, float qk, Random rnd, float[]? deltaS = null)
    {
        var scores = new float[128];
        ScoreDequantization.Dequantize(acc, qk, Enumerable.Repeat(1f, 128).ToArray(), deltaS ?? ReadOnlySpan<float>.Empty, 128, scores);
        float tileMax = OnlineSoftmax.TileMax(scores);
        float[] running = [rnd.Next(3) switch
        {
            0 => float.NegativeInfinity,
            1 => tileMax - (float)(rnd.NextDouble() * 20),
            _ => tileMax + (float)(rnd.NextDouble() * 20),
        }];
        var steps = new OnlineSoftmax.Step[1];
        OnlineSoftmax.StepRows([tileMax], running, steps, PEncoding.LogLinear);
        return (scores, steps[0]);
    }
}
