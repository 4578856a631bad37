using Sage.Emulation;
using Sage.Reference;
using Xunit;

namespace Sage.Accuracy.Tests.Readme;

/// <summary>The README's example, verbatim but for the assertions, so that it cannot silently stop compiling or working.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void ReadmeExampleRunsAndIsAccurate()
    {
        var shape = new AttentionShape(Batch: 1, QueryHeads: 8, KeyValueHeads: 2, QueryLength: 1024, KeyLength: 1024, HeadDim: 128);
        var problem = new AttentionProblem(shape, TensorLayout.HND, causal: true, returnLse: true);
        HostTensor q = SyntheticData.Generate(DataFamily.Gaussian, shape.QueryShape(TensorLayout.HND), ElementType.Float16, seed: 1);
        HostTensor k = SyntheticData.Generate(DataFamily.KChannelBias, shape.KeyValueShape(TensorLayout.HND), ElementType.Float16, seed: 2);
        HostTensor v = SyntheticData.Generate(DataFamily.Gaussian, shape.KeyValueShape(TensorLayout.HND), ElementType.Float16, seed: 3);

        var options = new SageOptions { PvAccumulation = PvAccumulation.Fp16TwoLevel };   // SageAttention2++
        AttentionResult emulated = new EmulatedAttention().Run(problem, q, k, v, options);
        ReferenceResult exact = new ReferenceAttention().Compute(problem, q, k, v);
        AccuracyReport report = AccuracyMetrics.Compare(exact.Output, emulated.Output);

        Assert.True(AccuracyBudget.Default.Admits(report), report.ToString());
        Assert.NotNull(emulated.Lse);
        Assert.Equal(shape.QueryHeads * shape.QueryLength, emulated.Lse!.Length);
    }
}
