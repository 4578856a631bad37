using Sage.Reference;
using Xunit;

namespace Sage.Property.Tests.Reference;

/// <summary>
/// The documented IEEE behaviour for NaN and infinity: they propagate to exactly the outputs they touch and are
/// never filtered, so that the metrics can report them.
/// </summary>
public class ReferenceAttentionNonFiniteTests
{
    private static readonly ReferenceAttention Reference = new();
    private static readonly AttentionProblem Causal4 = new(new AttentionShape(1, 1, 1, 4, 4, 2), causal: true, returnLse: true);

    private static float[] Ones(int n) => Enumerable.Repeat(0.5f, n).ToArray();

    [Fact]
    public void NaNInAQueryRowMakesOnlyThatRowNaN()
    {
        var q = Ones(8);
        q[2 * 2 + 1] = float.NaN; // row 2
        var result = Reference.Compute(Causal4, Tensors.F32([1, 1, 4, 2], q), Tensors.F32([1, 1, 4, 2], Ones(8)), Tensors.F32([1, 1, 4, 2], Ones(8)));

        for (int row = 0; row < 4; row++)
        {
            bool nan = row == 2;
            Assert.Equal(nan, double.IsNaN(result.Output[row * 2]));
            Assert.Equal(nan, double.IsNaN(result.Output[row * 2 + 1]));
            Assert.Equal(nan, double.IsNaN(result.Lse[row]));
        }
    }

    [Fact]
    public void NaNInAValueReachesOnlyRowsThatSeeItAndOnlyItsChannel()
    {
        var v = Ones(8);
        v[2 * 2 + 0] = float.NaN; // key 2, channel 0: causal rows 2 and 3 see it
        var result = Reference.Compute(Causal4, Tensors.F32([1, 1, 4, 2], Ones(8)), Tensors.F32([1, 1, 4, 2], Ones(8)), Tensors.F32([1, 1, 4, 2], v));

        for (int row = 0; row < 4; row++)
        {
            Assert.Equal(row >= 2, double.IsNaN(result.Output[row * 2]));
            Assert.False(double.IsNaN(result.Output[row * 2 + 1]));
            Assert.False(double.IsNaN(result.Lse[row]));
        }
    }

    [Fact]
    public void NaNInAValueWithZeroWeightStillPropagates()
    {
        // p_1 = exp(-2000) underflows to 0, but 0 · NaN is NaN: nothing is silently dropped.
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, 1, 2, 1), softmaxScale: 1.0);
        var result = Reference.Compute(problem,
            Tensors.F32([1, 1, 1, 1], 1f), Tensors.F32([1, 1, 2, 1], 0f, -2000f), Tensors.F32([1, 1, 2, 1], 1f, float.NaN));
        Assert.True(double.IsNaN(result.Output[0]));
    }

    [Fact]
    public void NaNInAKeyMakesTheRowsThatSeeItNaN()
    {
        var k = Ones(8);
        k[3 * 2 + 1] = float.NaN; // key 3: only the last causal row sees it
        var result = Reference.Compute(Causal4, Tensors.F32([1, 1, 4, 2], Ones(8)), Tensors.F32([1, 1, 4, 2], k), Tensors.F32([1, 1, 4, 2], Ones(8)));
        Assert.Equal([false, false, false, false, false, false, true, true], result.Output.Select(double.IsNaN));
        Assert.Equal([false, false, false, true], result.Lse.Select(double.IsNaN));
    }

    [Fact]
    public void AnInfiniteScoreMakesItsRowNaN()
    {
        // ∞ − ∞ in the max subtraction: the row is NaN, which the metrics then report.
        var k = Ones(8);
        k[0] = float.PositiveInfinity; // key 0, seen by every row
        var result = Reference.Compute(Causal4, Tensors.F32([1, 1, 4, 2], Ones(8)), Tensors.F32([1, 1, 4, 2], k), Tensors.F32([1, 1, 4, 2], Ones(8)));
        Assert.All(result.Output, o => Assert.True(double.IsNaN(o)));

        var report = AccuracyMetrics.Compare(result.Output, new double[8]);
        Assert.Equal(8, report.NaNInExpected);
        Assert.True(double.IsNaN(report.CosineSimilarity));
    }

    [Fact]
    public void NaNSurvivesRoundingToEveryOutputType()
    {
        var v = Ones(8);
        v[0] = float.NaN;
        foreach (var type in new[] { ElementType.Float16, ElementType.BFloat16, ElementType.Float32 })
        {
            var run = Reference.Run(Causal4, Tensors.F32([1, 1, 4, 2], Ones(8)), Tensors.F32([1, 1, 4, 2], Ones(8)), Tensors.F32([1, 1, 4, 2], v),
                new SageOptions { OutputType = type });
            Assert.All(Enumerable.Range(0, 4), row => Assert.True(float.IsNaN(run.Output[row * 2])));
            Assert.All(Enumerable.Range(0, 4), row => Assert.False(float.IsNaN(run.Output[row * 2 + 1])));
        }
    }
}
