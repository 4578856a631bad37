using Sage.Reference;
using Xunit;

namespace Sage.Property.Tests.Reference;

/// <summary>Rows are computed in tiles; no row may depend on which tile it falls in or on its neighbours.</summary>
public class ReferenceAttentionTilingTests
{
    [Theory]
    [InlineData(37, 50, true)]
    [InlineData(41, 20, true)]  // Nq > Nk: the first 21 rows see nothing, across tile boundaries
    [InlineData(33, 33, false)]
    [InlineData(70, 100, true)] // three 32-row tiles, four 32-key panels, rows of one 4-row block with different lengths
    public void EveryRowEqualsItsOwnOneRowProblemBitForBit(int nq, int nk, bool causal)
    {
        const int d = 24;
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, nq, nk, d), causal: causal, returnLse: true);
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.HeavyTail, ElementType.Float32, 8);
        var reference = new ReferenceAttention();
        var whole = reference.Compute(problem, inputs.Q, inputs.K, inputs.V);
        float[] q = inputs.Q.ToSingleArray(), k = inputs.K.ToSingleArray(), v = inputs.V.ToSingleArray();

        for (int row = 0; row < nq; row++)
        {
            int visible = Math.Max(0, problem.LastVisibleKey(row) + 1);
            var single = new AttentionProblem(new AttentionShape(1, 1, 1, 1, visible, d), returnLse: true);
            var alone = reference.Compute(single,
                HostTensor.FromSingle(q.AsSpan(row * d, d).ToArray(), 1, 1, 1, d),
                HostTensor.FromSingle(k.AsSpan(0, visible * d).ToArray(), 1, 1, visible, d),
                HostTensor.FromSingle(v.AsSpan(0, visible * d).ToArray(), 1, 1, visible, d));
            Assert.Equal(alone.Output, whole.Output.AsSpan(row * d, d).ToArray());
            Assert.Equal(alone.Lse[0], whole.Lse[row]);
        }
    }

    [Fact]
    public void OneWorkerGivesTheSameBitsAsAll()
    {
        var problem = new AttentionProblem(new AttentionShape(1, 4, 2, 100, 130, 64), TensorLayout.HND, causal: true, returnLse: true);
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.HeavyTail, ElementType.BFloat16, 4);
        var all = new ReferenceAttention().Compute(problem, inputs.Q, inputs.K, inputs.V);
        var one = new ReferenceAttention { MaxDegreeOfParallelism = 1 }.Compute(problem, inputs.Q, inputs.K, inputs.V);
        Assert.Equal(one.Output, all.Output);
        Assert.Equal(one.Lse, all.Lse);
    }

    [Fact]
    public void RepeatedRunsAreIdentical()
    {
        var problem = new AttentionProblem(new AttentionShape(2, 8, 2, 70, 90, 32), TensorLayout.NHD, causal: true);
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.Gaussian, ElementType.Float16, 21);
        var reference = new ReferenceAttention();
        var first = reference.Compute(problem, inputs.Q, inputs.K, inputs.V);
        var second = reference.Compute(problem, inputs.Q, inputs.K, inputs.V);
        Assert.Equal(first.Output, second.Output);
        Assert.Equal(first.Lse, second.Lse);
    }
}
