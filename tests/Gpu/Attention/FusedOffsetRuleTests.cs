using Sage.Cuda;
using Sage.Emulation;
using Sage.Emulation.Mainloop;
using Sage.Emulation.Softmax;
using Sage.Emulation.Tracing;
using Sage.Reference;
using Xunit;

namespace Sage.Gpu.Tests.Attention;

/// <summary>
/// docs/kernel-spec.md §7.5 on the GPU where the two exp2 rules meet: per-thread K scales on both sides of 2^−7 put the
/// lanes of one warp on different rules (the kernel's branch-free mixed pass), and scaled-up data puts every lane on the
/// two-step rule. Every output and LSE bit against the emulator. The first part of each test runs on the CPU too: it
/// checks from the emulator's trace that the data really puts keys of one row on both rules (or all on the two-step
/// one), so the GPU comparison cannot pass vacuously on a single rule.
/// </summary>
public sealed class FusedOffsetRuleTests(ITestOutputHelper output)
{
    private static AttentionProblem ProblemOf(bool causal) =>
        new(new AttentionShape(1, 2, 2, 200, 300, 128), TensorLayout.HND, causal);

    private static readonly AttentionProblem Problem = ProblemOf(causal: false);

    [Theory]
    [InlineData(PvAccumulation.Fp16TwoLevel, false, PEncoding.Exp2)]
    [InlineData(PvAccumulation.Fp32TwoLevel, true, PEncoding.Exp2)]
    [InlineData(PvAccumulation.Fp16TwoLevel, true, PEncoding.LogLinear)]
    [InlineData(PvAccumulation.Fp32, false, PEncoding.LogLinear)]
    public void Warps_with_lanes_on_both_rules_match_the_emulator(PvAccumulation pv, bool causal, PEncoding encoding)
    {
        // K group 3 of every tile (tokens with (j mod 8) / 2 = 3, lane t = 3) 100× larger: its qk ≈ 10^−2, the others' ≈ 10^−4.
        var problem = ProblemOf(causal);
        var inputs = Scaled(problem, queryScale: 1f, keyScale: j => (j % 8) / 2 == 3 ? 100f : 1f);
        var options = new SageOptions { PvAccumulation = pv, PEncoding = encoding };
        var (fused, twoStep) = RuleCounts(problem, inputs, options);
        output.WriteLine($"traced tile: {fused} keys on the fused rule, {twoStep} on the two-step rule");
        Assert.True(fused > 0 && twoStep > 0, $"the data puts {fused} keys on the fused rule and {twoStep} on the two-step rule; expected both");
        AttentionGpu.AssertMatchesEmulator(output, problem, inputs, options, $"mixed rules {pv}{(causal ? " causal" : "")} {encoding}");
    }

    [Theory]
    [InlineData(PEncoding.Exp2)]
    [InlineData(PEncoding.LogLinear)]
    public void Warps_entirely_on_the_two_step_rule_match_the_emulator(PEncoding encoding)
    {
        var inputs = Scaled(Problem, queryScale: 30f, keyScale: _ => 30f);
        var options = SageOptions.Default with { PEncoding = encoding };
        var (fused, twoStep) = RuleCounts(Problem, inputs, options);
        output.WriteLine($"traced tile: {fused} keys on the fused rule, {twoStep} on the two-step rule");
        Assert.True(fused == 0 && twoStep > 0, $"the data puts {fused} keys on the fused rule; expected none");
        AttentionGpu.AssertMatchesEmulator(output, Problem, inputs, options, $"two-step rule only {encoding}");
    }

    /// <summary>Gaussian FP16 inputs (seed 1) with Q times queryScale and K token j times keyScale(j).</summary>
    private static AttentionInputs Scaled(AttentionProblem problem, float queryScale, Func<int, float> keyScale)
    {
        var x = SyntheticData.GenerateInputs(problem, DataFamily.Gaussian, ElementType.Float16, seed: 1);
        var q = x.Q.ToSingleArray();
        for (int i = 0; i < q.Length; i++) q[i] *= queryScale;
        var k = x.K.ToSingleArray();
        int d = problem.Shape.HeadDim, n = problem.Shape.KeyLength;
        for (int i = 0; i < k.Length; i++) k[i] *= keyScale(i / d % n); // HND: [B, H, N, d]
        return new AttentionInputs(HostTensor.Create(ElementType.Float16, q, [.. x.Q.Shape]), HostTensor.Create(ElementType.Float16, k, [.. x.K.Shape]), x.V);
    }

    /// <summary>Visible keys of the first traced tile (batch 0, head 0, query tile 0) on each rule of §7.5.</summary>
    private static (int Fused, int TwoStep) RuleCounts(AttentionProblem problem, AttentionInputs inputs, SageOptions options)
    {
        var t = new EmulatedAttention().Trace(problem, inputs.Q, inputs.K, inputs.V, options, new TraceSelection(0, 0, 0));
        int fused = 0, twoStep = 0, groups = options.Granularity == QuantGranularity.PerThread ? 4 : 1;
        foreach (var tile in t.KeyTiles)
            for (int r = 0; r < t.Rows; r++)
                for (int n = 0; n < 128; n++)
                {
                    int j = tile.KeyTile * 128 + n;
                    if (j >= problem.Shape.KeyLength || j > problem.LastVisibleKey(r)) continue;
                    float ks = t.KeyGroupScales[tile.KeyTile * groups + (groups == 4 ? (n % 8) / 2 : 0)];
                    float qk = ScoreDequantization.ScoreScale(t.QueryScalePerRow[r], ks);
                    if (ExponentArgument.IsFused(qk, options.SmoothQ)) fused++;
                    else twoStep++;
                }
        return (fused, twoStep);
    }
}
