using Sage.Emulation.Planning;
using Sage.Reference;
using Xunit;

namespace Sage.Accuracy.Tests.Planning;

/// <summary>
/// The planner's decisions under the default budget on the built-in data families, matching the measured table of
/// docs/accuracy-budget.md: SageAttention2++ for Gaussian and K-bias layers, INT4 where a V bias dominates the output.
/// The decisions are taken over the fixed anchor order with INT4 (<see cref="ModeSpeeds.AnchorCandidates"/>, the order of
/// that table), so that they test the budget, not a speed measurement; the CUDA target never offers INT4 (last test).
/// </summary>
public class PlannerDecisionTests
{
    private static PlanLayerInput Layer(DataFamily family, int seed, bool causal = false)
    {
        var problem = new AttentionProblem(new AttentionShape(1, 4, 2, 512, 512, 128), TensorLayout.HND, causal);
        var inputs = SyntheticData.GenerateInputs(problem, family, ElementType.Float16, seed);
        return new PlanLayerInput(family.ToString(), problem, inputs.Q, inputs.K, inputs.V);
    }

    [Theory]
    [InlineData(DataFamily.Gaussian, false, "int8-fp16x2")]
    [InlineData(DataFamily.KChannelBias, false, "int8-fp16x2")]
    [InlineData(DataFamily.Gaussian, true, "int8-fp16x2")]
    [InlineData(DataFamily.VChannelBias, false, "int4-fp16x2")]
    public void DefaultBudgetChoosesTheMeasuredFastestAdmissibleMode(DataFamily family, bool causal, string expected)
    {
        var plan = new ModePlanner(AccuracyBudget.Default) { MeasureAll = true, Candidates = ModeSpeeds.AnchorCandidates }
            .PlanLayer(Layer(family, 31, causal));
        Assert.Equal(expected, plan.Mode);
        var chosen = plan.Measurements.Single(m => m.Mode == expected);
        Assert.True(chosen.Admitted);
        // Every faster candidate was measured and rejected, with the reason recorded.
        foreach (var faster in plan.Measurements.TakeWhile(m => m.Mode != expected))
            Assert.NotEmpty(faster.Violations);
    }

    [Fact]
    public void The_default_cuda_target_plans_only_modes_the_cuda_backend_runs()
    {
        // Where the emulator target picks INT4 (V bias), the CUDA plan picks an INT8 mode, measured fastest first.
        var plan = new ModePlanner(AccuracyBudget.Default).PlanLayer(Layer(DataFamily.VChannelBias, 31));
        Assert.DoesNotContain(plan.Measurements, m => m.Mode.StartsWith("int4", StringComparison.Ordinal));
        Assert.Equal(ModeSpeeds.Candidates[0].Name, plan.Measurements[0].Mode);
        Assert.StartsWith("int8-", plan.Mode);
    }

    /// <summary>
    /// The strided key mean is offered as a twin the planner emulates on the layer's own data. Its sample always holds
    /// token 0; with the trimmed mean (session 39) a strong attention sink there (token 0's key × 300) no longer moves it,
    /// so the twin, measured first, is admitted and chosen. (Before session 39 the sample's plain mean had relative L1
    /// 0.18 here and the planner rejected the twin.)
    /// </summary>
    [Fact]
    public void A_strong_attention_sink_leaves_the_strided_twin_admitted()
    {
        var problem = new AttentionProblem(new AttentionShape(1, 2, 2, 2048, 2048, 128), TensorLayout.HND);
        var inputs = Emulation.AttentionSink.OnFirstKey(problem, SyntheticData.GenerateInputs(problem, DataFamily.KChannelBias, ElementType.Float16, 9), 300f);
        var layer = new PlanLayerInput("sink", problem, inputs.Q, inputs.K, inputs.V);
        var plan = new ModePlanner(AccuracyBudget.Default) { Candidates = [ModeSpeeds.Get("int8-fp16x2-strided"), ModeSpeeds.Int8Fp16TwoLevel, ModeSpeeds.FullPrecision] }
            .PlanLayer(layer);
        Assert.Equal("int8-fp16x2-strided", plan.Mode);
        Assert.True(plan.Measurements.Single(m => m.Mode == "int8-fp16x2-strided").Admitted);
    }

    [Fact]
    public void SampledPlanningAgreesWithFullPlanningOnTheDecision()
    {
        var layer = Layer(DataFamily.KChannelBias, 32);
        var full = new ModePlanner(AccuracyBudget.Default).PlanLayer(layer);
        var sampled = new ModePlanner(AccuracyBudget.Default) { SampledRows = 128 }.PlanLayer(layer);
        Assert.Equal(full.Mode, sampled.Mode);
        Assert.Equal(128, sampled.SampledRowsPerHead);
        // A quarter of the rows estimates the layer's error closely (rows are statistically alike here).
        double fullRelL1 = full.Measurements.Single(m => m.Mode == full.Mode).RelativeL1;
        double sampledRelL1 = sampled.Measurements.Single(m => m.Mode == sampled.Mode).RelativeL1;
        Assert.InRange(sampledRelL1 / fullRelL1, 0.9, 1.1);
    }
}
