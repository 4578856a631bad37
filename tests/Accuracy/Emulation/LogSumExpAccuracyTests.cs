using Sage.Emulation;
using Sage.Reference;
using Xunit;

namespace Sage.Accuracy.Tests.Emulation;

/// <summary>
/// The emulator's log-sum-exp (docs/kernel-spec.md §10) against the float64 reference: the K-smoothing correction
/// sm_scale·q·mean(K) must put back exactly what smoothing removed, also for keys with a large channel bias.
/// </summary>
public class LogSumExpAccuracyTests
{
    [Theory]
    // Measured worst |ΔLSE| (natural log): Gaussian 0.0080–0.0083, K bias smoothed 0.0054–0.0071 (0.0031–0.0034 until
    // the row sum became the PV row-sum column of E4M3 P codes, spec §8: l now carries the E4M3 rounding of P), K bias
    // unsmoothed 0.18 (the quantisation error of the large q·bias part lands in the LSE: smoothing keeps it out), heavy
    // tails 0.65 (a Student-t outlier in a K group coarsens its scale, and an outlier in q multiplies that error).
    [InlineData(DataFamily.Gaussian, true, false, false, 0.01)]
    [InlineData(DataFamily.Gaussian, true, false, true, 0.01)]
    [InlineData(DataFamily.KChannelBias, true, false, false, 0.01)]
    [InlineData(DataFamily.KChannelBias, true, true, false, 0.01)]
    [InlineData(DataFamily.KChannelBias, false, false, false, 0.25)]
    [InlineData(DataFamily.HeavyTail, true, false, false, 0.8)]
    [InlineData(DataFamily.HeavyTail, true, false, true, 0.8)]
    public void LseMatchesTheReference(DataFamily family, bool smoothK, bool smoothQ, bool causal, double maxError)
    {
        var problem = new AttentionProblem(new AttentionShape(1, 2, 1, 300, 700, 128), causal: causal, returnLse: true);
        var inputs = SyntheticData.GenerateInputs(problem, family, ElementType.Float16, seed: 7);
        var expected = new ReferenceAttention().Compute(problem, inputs.Q, inputs.K, inputs.V);
        var actual = new EmulatedAttention().Run(problem, inputs.Q, inputs.K, inputs.V,
            new SageOptions { SmoothK = smoothK, SmoothQ = smoothQ });
        Assert.NotNull(actual.Lse);
        double worst = 0;
        for (int i = 0; i < expected.Lse.Length; i++)
        {
            Assert.True(double.IsFinite(actual.Lse![i]), $"row {i}: {actual.Lse[i]}");
            worst = Math.Max(worst, Math.Abs(actual.Lse[i] - expected.Lse[i]));
        }
        Assert.True(worst <= maxError, $"{family} smoothK={smoothK}: worst |ΔLSE| = {worst}");
        Xunit.TestContext.Current.TestOutputHelper?.WriteLine($"{family} smoothK={smoothK} smoothQ={smoothQ}: worst |ΔLSE| = {worst:E3}");
    }
}
