using Sage.Reference;
using Xunit;

namespace Sage.Property.Tests.Reference;

/// <summary>Layouts and grouped-query attention change where numbers live, never the numbers themselves.</summary>
public class ReferenceAttentionStructureTests
{
    private static readonly ReferenceAttention Reference = new();

    [Theory]
    [InlineData(false, 5, 7)]
    [InlineData(true, 5, 7)]
    [InlineData(true, 7, 5)]
    [InlineData(true, 6, 6)]
    public void NhdGivesTheSameNumbersAsHnd(bool causal, int queryLength, int keyLength)
    {
        var shape = new AttentionShape(2, 4, 2, queryLength, keyLength, 8);
        var hnd = new AttentionProblem(shape, TensorLayout.HND, causal);
        var inputs = SyntheticData.GenerateInputs(hnd, DataFamily.Gaussian, ElementType.Float16, 11);

        HostTensor ToNhd(HostTensor t, int heads, int tokens) =>
            HostTensor.FromSingle(Tensors.SwapHeadsAndTokens(t.ToSingleArray(), 2, heads, tokens, 8), 2, tokens, heads, 8);

        var nhd = new AttentionProblem(shape, TensorLayout.NHD, causal);
        var fromHnd = Reference.Compute(hnd, inputs.Q, inputs.K, inputs.V);
        var fromNhd = Reference.Compute(nhd,
            ToNhd(inputs.Q, 4, queryLength), ToNhd(inputs.K, 2, keyLength), ToNhd(inputs.V, 2, keyLength));

        Assert.Equal([2, queryLength, 4, 8], fromNhd.Shape);
        Assert.Equal(TensorLayout.NHD, fromNhd.Layout);
        Assert.Equal(fromHnd.Output, Tensors.SwapHeadsAndTokens(fromNhd.Output, 2, queryLength, 4, 8));
        Assert.Equal(fromHnd.Lse, fromNhd.Lse); // LSE is [B, Hq, Nq] in both layouts
    }

    [Theory]
    [InlineData(6, 2, false)]
    [InlineData(6, 3, true)]
    [InlineData(8, 1, true)]
    public void GroupedQueryAttentionEqualsRepeatedKeyValueHeads(int queryHeads, int kvHeads, bool causal)
    {
        const int batch = 2, nq = 5, nk = 9, d = 16;
        int group = queryHeads / kvHeads;
        var gqa = new AttentionProblem(new AttentionShape(batch, queryHeads, kvHeads, nq, nk, d), causal: causal, returnLse: true);
        var inputs = SyntheticData.GenerateInputs(gqa, DataFamily.HeavyTail, ElementType.BFloat16, 12);
        var mha = new AttentionProblem(new AttentionShape(batch, queryHeads, queryHeads, nq, nk, d), causal: causal, returnLse: true);
        HostTensor Repeat(HostTensor t) =>
            HostTensor.FromSingle(Tensors.RepeatHeads(t.ToSingleArray(), batch, kvHeads, nk, d, group), batch, queryHeads, nk, d);

        var grouped = Reference.Compute(gqa, inputs.Q, inputs.K, inputs.V);
        var repeated = Reference.Compute(mha, inputs.Q, Repeat(inputs.K), Repeat(inputs.V));

        Assert.Equal(repeated.Output, grouped.Output);
        Assert.Equal(repeated.Lse, grouped.Lse);
    }

    [Fact]
    public void LseIsTheNaturalLogOfTheSumOfExponentials()
    {
        // Checked against the textbook formula without max subtraction (safe here: scores stay small).
        var problem = new AttentionProblem(new AttentionShape(1, 2, 1, 4, 6, 8), causal: true, softmaxScale: 0.3);
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.Gaussian, ElementType.Float32, 13);
        var result = Reference.Compute(problem, inputs.Q, inputs.K, inputs.V);
        float[] q = inputs.Q.ToSingleArray(), k = inputs.K.ToSingleArray();

        for (int h = 0; h < 2; h++)
            for (int i = 0; i < 4; i++)
            {
                double sum = 0;
                for (int j = 0; j <= i + 2; j++)
                {
                    double dot = 0;
                    for (int c = 0; c < 8; c++) dot += (double)q[(h * 4 + i) * 8 + c] * k[j * 8 + c];
                    sum += Math.Exp(0.3 * dot);
                }
                Assert.Equal(Math.Log(sum), result.Lse[h * 4 + i], 1e-13);
            }
    }

    [Fact]
    public void LargeScoresDoNotOverflow()
    {
        // Scores near 10^4: exp would overflow without the max subtraction; the LSE is then about the max score.
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, 1, 2, 1), softmaxScale: 1.0);
        var result = Reference.Compute(problem,
            Tensors.F32([1, 1, 1, 1], 100f), Tensors.F32([1, 1, 2, 1], 100f, 99f), Tensors.F32([1, 1, 2, 1], 1f, 0f));
        double e100 = Math.Exp(-100);
        Assert.Equal(1 / (1 + e100), result.Output[0], 1e-15);
        Assert.Equal(10000 + Math.Log(1 + e100), result.Lse[0], 1e-12);
    }
}
