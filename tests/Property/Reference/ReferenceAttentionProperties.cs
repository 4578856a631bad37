using FsCheck.Xunit;
using Sage.Reference;
using Xunit;

namespace Sage.Property.Tests.Reference;

/// <summary>Properties that exact attention must have whatever the data: the softmax is a probability distribution,
/// keys are a set, scores matter only up to a per-row constant.</summary>
public class ReferenceAttentionProperties
{
    private const double Tolerance = 1e-12;

    [Property(MaxTest = 60)]
    public void SoftmaxRowsSumToOne(int seed, int sizes, bool causal, bool nhd)
    {
        var c = AttentionCase.Create(seed, sizes, causal, nhd ? TensorLayout.NHD : TensorLayout.HND, allowEmpty: true);
        var s = c.Shape;
        for (int b = 0; b < s.Batch; b++)
            for (int h = 0; h < s.QueryHeads; h++)
                for (int row = 0; row < s.QueryLength; row++)
                {
                    var p = ReferenceAttention.RowProbabilities(c.Problem, c.QTensor, c.KTensor, b, h, row);
                    int visible = Math.Max(0, c.Problem.LastVisibleKey(row) + 1);
                    Assert.All(p, x => Assert.InRange(x, 0.0, 1.0));
                    Assert.All(p.Skip(visible), x => Assert.Equal(0.0, x));
                    Assert.Equal(visible > 0 ? 1.0 : 0.0, p.Sum(), Tolerance);
                }
    }

    [Property(MaxTest = 60)]
    public void OutputIsTheProbabilityWeightedSumOfValues(int seed, int sizes, bool causal, bool nhd)
    {
        var c = AttentionCase.Create(seed, sizes, causal, nhd ? TensorLayout.NHD : TensorLayout.HND);
        var s = c.Shape;
        var result = c.Compute();
        for (int b = 0; b < s.Batch; b++)
            for (int h = 0; h < s.QueryHeads; h++)
                for (int row = 0; row < s.QueryLength; row++)
                {
                    var p = ReferenceAttention.RowProbabilities(c.Problem, c.QTensor, c.KTensor, b, h, row);
                    for (int ch = 0; ch < s.HeadDim; ch++)
                    {
                        double expected = 0;
                        for (int j = 0; j < s.KeyLength; j++) expected += p[j] * c.V[c.KeyIndex(b, h / s.GroupSize, j, ch)];
                        Assert.Equal(expected, result.Output[c.QueryIndex(b, h, row, ch)], Tolerance * (1 + c.ValueMagnitude));
                    }
                }
    }

    [Property(MaxTest = 60)]
    public void PermutingKeysTogetherWithValuesLeavesTheOutputUnchanged(int seed, int sizes, int permutationSeed)
    {
        var c = AttentionCase.Create(seed, sizes, causal: false);
        var s = c.Shape;
        var order = Enumerable.Range(0, s.KeyLength).ToArray();
        new Random(permutationSeed).Shuffle(order);
        float[] k = new float[c.K.Length], v = new float[c.V.Length];
        for (int b = 0; b < s.Batch; b++)
            for (int h = 0; h < s.KeyValueHeads; h++)
                for (int j = 0; j < s.KeyLength; j++)
                    for (int ch = 0; ch < s.HeadDim; ch++)
                    {
                        k[c.KeyIndex(b, h, j, ch)] = c.K[c.KeyIndex(b, h, order[j], ch)];
                        v[c.KeyIndex(b, h, j, ch)] = c.V[c.KeyIndex(b, h, order[j], ch)];
                    }

        var original = c.Compute();
        var permuted = (c with { K = k, V = v }).Compute();
        AssertClose(original.Output, permuted.Output, Tolerance * (1 + c.ValueMagnitude));
        AssertClose(original.Lse, permuted.Lse, Tolerance * (1 + original.Lse.Max(Math.Abs)));
    }

    [Property(MaxTest = 60)]
    public void AddingAConstantToEveryScoreOfARowChangesNothing(int seed, int sizes, bool causal, int shift)
    {
        // Channel 0 of every query is 1 and channel 0 of every key is 0 or c: all of a row's scores move by scale·c.
        var c = AttentionCase.Create(seed, sizes, causal);
        float constant = (shift % 4096) / 64f; // exact in float32, |c| < 64
        float[] q = (float[])c.Q.Clone(), k0 = (float[])c.K.Clone(), kc = (float[])c.K.Clone();
        for (long i = 0; i < q.Length; i += c.Shape.HeadDim) q[i] = 1f;
        for (long i = 0; i < k0.Length; i += c.Shape.HeadDim)
        {
            k0[i] = 0f;
            kc[i] = constant;
        }

        var plain = (c with { Q = q, K = k0 }).Compute();
        var shifted = (c with { Q = q, K = kc }).Compute();
        AssertClose(plain.Output, shifted.Output, 1e-11 * (1 + c.ValueMagnitude));
        var expectedLse = plain.Lse.Select(l => l + c.Problem.SoftmaxScale * constant).ToArray();
        AssertClose(expectedLse, shifted.Lse, 1e-11 * (1 + plain.Lse.Max(Math.Abs) + Math.Abs(constant)));
    }

    [Property(MaxTest = 60)]
    public void CausalFirstRowEqualsTheFirstValue(int seed, int sizes, bool nhd)
    {
        var c = AttentionCase.Create(seed, sizes, causal: true, nhd ? TensorLayout.NHD : TensorLayout.HND, squareCausal: true);
        var s = c.Shape;
        var result = c.Compute();
        for (int b = 0; b < s.Batch; b++)
            for (int h = 0; h < s.QueryHeads; h++)
                for (int ch = 0; ch < s.HeadDim; ch++)
                    Assert.Equal((double)c.V[c.KeyIndex(b, h / s.GroupSize, 0, ch)], result.Output[c.QueryIndex(b, h, 0, ch)]);
    }

    [Property(MaxTest = 60)]
    public void OutputLiesWithinTheRangeOfTheVisibleValues(int seed, int sizes, bool causal)
    {
        var c = AttentionCase.Create(seed, sizes, causal);
        var s = c.Shape;
        var result = c.Compute();
        for (int b = 0; b < s.Batch; b++)
            for (int h = 0; h < s.QueryHeads; h++)
                for (int row = 0; row < s.QueryLength; row++)
                {
                    int visible = c.Problem.LastVisibleKey(row) + 1;
                    for (int ch = 0; ch < s.HeadDim; ch++)
                    {
                        double o = result.Output[c.QueryIndex(b, h, row, ch)];
                        if (visible <= 0)
                        {
                            Assert.Equal(0.0, o);
                            continue;
                        }
                        var values = Enumerable.Range(0, visible).Select(j => (double)c.V[c.KeyIndex(b, h / s.GroupSize, j, ch)]).ToArray();
                        double slack = 1e-14 * (1 + c.ValueMagnitude);
                        Assert.InRange(o, values.Min() - slack, values.Max() + slack);
                    }
                }
    }

    [Property(MaxTest = 40)]
    public void ScalingValuesByAPowerOfTwoScalesTheOutputExactly(int seed, int sizes, bool causal)
    {
        var c = AttentionCase.Create(seed, sizes, causal, allowEmpty: true);
        var scaled = (c with { V = c.V.Select(x => x * 4f).ToArray() }).Compute();
        Assert.Equal(c.Compute().Output.Select(x => x * 4).ToArray(), scaled.Output);
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (double.IsNegativeInfinity(expected[i])) Assert.Equal(expected[i], actual[i]);
            else Assert.Equal(expected[i], actual[i], tolerance);
        }
    }
}
