using FsCheck.Xunit;
using Sage.Reference;
using Xunit;

namespace Sage.Accuracy.Tests.Reference;

/// <summary>Random mid-sized problems (several query tiles, realistic head dims) against the textbook implementation.</summary>
public class ReferenceAgainstNaiveProperties
{
    [Property(MaxTest = 25)]
    public void RandomProblemsMatchTextbookAttention(int seed, int sizes, bool causal, bool nhd)
    {
        var rng = new Random(sizes);
        int kvHeads = 1 + rng.Next(3), group = 1 + rng.Next(3);
        int[] headDims = [1, 7, 32, 64, 128];
        var shape = new AttentionShape(1 + rng.Next(2), kvHeads * group, kvHeads, rng.Next(0, 80), rng.Next(0, 80), headDims[rng.Next(headDims.Length)]);
        var problem = new AttentionProblem(shape, nhd ? TensorLayout.NHD : TensorLayout.HND, causal,
            rng.Next(2) == 0 ? null : 0.01 + 2 * rng.NextDouble(), returnLse: true);
        var inputs = SyntheticData.GenerateInputs(problem, (DataFamily)((uint)seed % 5), ElementType.BFloat16, seed);
        float[] v = inputs.V.ToSingleArray();

        var exact = new ReferenceAttention().Compute(problem, inputs.Q, inputs.K, inputs.V);
        var (output, lse) = NaiveAttention.Compute(problem, inputs.Q.ToSingleArray(), inputs.K.ToSingleArray(), v);

        double tolerance = 1e-12 * (1 + (v.Length == 0 ? 0 : v.Max(Math.Abs)));
        for (int i = 0; i < output.Length; i++) Assert.Equal(output[i], exact.Output[i], tolerance);
        for (int i = 0; i < lse.Length; i++)
        {
            if (double.IsNegativeInfinity(lse[i])) Assert.Equal(double.NegativeInfinity, exact.Lse[i]);
            else Assert.Equal(lse[i], exact.Lse[i], 1e-12 * (1 + Math.Abs(lse[i])));
        }
    }
}
