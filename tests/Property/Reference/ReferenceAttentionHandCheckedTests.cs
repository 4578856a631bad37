using Sage.Reference;
using Xunit;

namespace Sage.Property.Tests.Reference;

/// <summary>Cases small enough to compute by hand; the expected numbers are written out, not recomputed.</summary>
public class ReferenceAttentionHandCheckedTests
{
    private static readonly ReferenceAttention Reference = new();

    [Fact]
    public void OneQueryTwoKeys()
    {
        // q = 1, k = (0, 1), scale 1: scores (0, 1), p = (1, e) / (1 + e), v = (2, 4).
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, 1, 2, 1), softmaxScale: 1.0);
        var result = Reference.Compute(problem,
            Tensors.F32([1, 1, 1, 1], 1f), Tensors.F32([1, 1, 2, 1], 0f, 1f), Tensors.F32([1, 1, 2, 1], 2f, 4f));

        double e = Math.E;
        Assert.Equal((2 + 4 * e) / (1 + e), result.Output[0], 1e-15);
        Assert.Equal(3.4621171572600098, result.Output[0], 1e-15);
        Assert.Equal(Math.Log(1 + e), result.Lse[0], 1e-15);
        Assert.Equal(1.3132616875182228, result.Lse[0], 1e-15);
    }

    [Fact]
    public void DefaultScaleIsOneOverSqrtHeadDim()
    {
        // d = 4, q = (1,1,1,1), k0 = 0, k1 = (1,0,0,0): scores (0, 1/2).
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, 1, 2, 4));
        var result = Reference.Compute(problem,
            Tensors.F32([1, 1, 1, 4], 1, 1, 1, 1),
            Tensors.F32([1, 1, 2, 4], 0, 0, 0, 0, 1, 0, 0, 0),
            Tensors.F32([1, 1, 2, 4], 1, 0, 0, 0, 0, 1, 0, 0));

        double w = Math.Exp(0.5);
        Assert.Equal(1 / (1 + w), result.Output[0], 1e-15);
        Assert.Equal(w / (1 + w), result.Output[1], 1e-15);
        Assert.Equal(0.0, result.Output[2]);
        Assert.Equal(Math.Log(1 + w), result.Lse[0], 1e-15);
    }

    [Fact]
    public void CausalIsAlignedBottomRightWhenKeysOutnumberQueries()
    {
        // Nq = 2, Nk = 3: row 0 sees keys 0..1, row 1 sees keys 0..2. Equal scores, so outputs are plain means.
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, 2, 3, 1), causal: true, softmaxScale: 1.0);
        var result = Reference.Compute(problem,
            Tensors.F32([1, 1, 2, 1], 0f, 0f), Tensors.F32([1, 1, 3, 1], 5f, -7f, 3f), Tensors.F32([1, 1, 3, 1], 1f, 2f, 6f));

        Assert.Equal(1.5, result.Output[0]);
        Assert.Equal(3.0, result.Output[1]);
        Assert.Equal(Math.Log(2), result.Lse[0], 1e-15);
        Assert.Equal(Math.Log(3), result.Lse[1], 1e-15);
    }

    [Fact]
    public void CausalRowsThatSeeNoKeyGiveZeroAndMinusInfinity()
    {
        // Nq = 3, Nk = 1: row i sees key j when j <= i - 2, so rows 0 and 1 see nothing and row 2 sees key 0.
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, 3, 1, 2), causal: true, softmaxScale: 1.0, returnLse: true);
        var q = Tensors.F32([1, 1, 3, 2], 1, 2, 3, 4, 0.5f, -1);
        var k = Tensors.F32([1, 1, 1, 2], 2, 3);
        var v = Tensors.F32([1, 1, 1, 2], -1.25f, 7);
        var result = Reference.Compute(problem, q, k, v);

        Assert.Equal([0, 0, 0, 0, -1.25, 7], result.Output);
        Assert.Equal([double.NegativeInfinity, double.NegativeInfinity, 0.5 * 2 - 1 * 3], result.Lse);

        var run = Reference.Run(problem, q, k, v, new SageOptions { OutputType = ElementType.Float32 });
        Assert.Equal([0f, 0, 0, 0, -1.25f, 7], run.Output.ToSingleArray());
        Assert.Equal([float.NegativeInfinity, float.NegativeInfinity, -2f], run.Lse!);
    }

    [Theory]
    [InlineData(TensorLayout.HND, false)]
    [InlineData(TensorLayout.NHD, true)]
    public void NoKeysGiveZeroOutputAndMinusInfinityLse(TensorLayout layout, bool causal)
    {
        var shape = new AttentionShape(2, 4, 2, 3, 0, 8);
        var problem = new AttentionProblem(shape, layout, causal, returnLse: true);
        var q = SyntheticData.Generate(DataFamily.Gaussian, shape.QueryShape(layout), ElementType.Float16, 1);
        var kv = HostTensor.FromSingle([], shape.KeyValueShape(layout));

        var exact = Reference.Compute(problem, q, kv, kv);
        Assert.Equal(q.Length, exact.Output.Length);
        Assert.All(exact.Output, o => Assert.Equal(0.0, o));
        Assert.Equal(2 * 4 * 3, exact.Lse.Length);
        Assert.All(exact.Lse, l => Assert.Equal(double.NegativeInfinity, l));

        var run = Reference.Run(problem, q, kv, kv);
        Assert.Equal(ElementType.Float16, run.Output.ElementType);
        Assert.All(run.Output.ToSingleArray(), o => Assert.Equal(0f, o));
        Assert.All(run.Lse!, l => Assert.Equal(float.NegativeInfinity, l));
    }

    [Fact]
    public void NoQueriesGiveEmptyResults()
    {
        var shape = new AttentionShape(1, 2, 1, 0, 5, 4);
        var problem = new AttentionProblem(shape, TensorLayout.NHD, causal: true, returnLse: true);
        var kv = SyntheticData.Generate(DataFamily.Gaussian, shape.KeyValueShape(TensorLayout.NHD), ElementType.Float32, 2);
        var run = Reference.Run(problem, HostTensor.FromSingle([], shape.QueryShape(TensorLayout.NHD)), kv, kv);

        Assert.Equal([1, 0, 2, 4], run.Output.Shape);
        Assert.Equal(0, run.Output.Length);
        Assert.Empty(run.Lse!);
    }

    [Fact]
    public void GroupedQueryHeadsReadTheirGroupsKeyValueHead()
    {
        // Hq = 4, Hkv = 2: heads 0,1 read kv head 0 and heads 2,3 read kv head 1. One key, so output = that value.
        var problem = new AttentionProblem(new AttentionShape(1, 4, 2, 1, 1, 1));
        var result = Reference.Compute(problem,
            Tensors.F32([1, 4, 1, 1], 1, 2, 3, 4), Tensors.F32([1, 2, 1, 1], 1, 1), Tensors.F32([1, 2, 1, 1], 10, 20));
        Assert.Equal([10.0, 10, 20, 20], result.Output);
    }

    [Fact]
    public void RunLeavesLseOutUnlessAskedFor()
    {
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, 2, 2, 4));
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.Gaussian, ElementType.BFloat16, 3);
        var run = Reference.Run(problem, inputs.Q, inputs.K, inputs.V, new SageOptions { OutputType = ElementType.BFloat16 });
        Assert.Null(run.Lse);
        Assert.Equal(ElementType.BFloat16, run.Output.ElementType);
        Assert.Equal("reference", Reference.Name);
    }

    [Fact]
    public void Fp16OutputIsRoundedOnceFromFloat64()
    {
        // Equal scores, v = (1, 1 + 2^-10 + 2^-23): the exact mean 1 + 2^-11 + 2^-24 lies just above the FP16 tie
        // 1 + 2^-11, so it must round up to 1 + 2^-10 (0x3C01). Via float32 it would become the tie and round to 1.
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, 1, 2, 1));
        var v = Tensors.F32([1, 1, 2, 1], 1f, 1f + MathF.Pow(2, -10) + MathF.Pow(2, -23));
        var run = Reference.Run(problem, Tensors.F32([1, 1, 1, 1], 0f), Tensors.F32([1, 1, 2, 1], 0f, 0f), v,
            new SageOptions { OutputType = ElementType.Float16 });
        Assert.Equal((ushort)0x3C01, run.Output.Bits16[0]);
    }

    [Fact]
    public void Bf16OutputIsRoundedOnceFromFloat64()
    {
        // As above for BF16: the exact mean 1 + 2^-8 + 2^-24 must round up to 1 + 2^-7 (0x3F81), not down to 1.
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, 1, 2, 1));
        var v = Tensors.F32([1, 1, 2, 1], 1f, 1f + MathF.Pow(2, -7) + MathF.Pow(2, -23));
        var run = Reference.Run(problem, Tensors.F32([1, 1, 1, 1], 0f), Tensors.F32([1, 1, 2, 1], 0f, 0f), v,
            new SageOptions { OutputType = ElementType.BFloat16 });
        Assert.Equal((ushort)0x3F81, run.Output.Bits16[0]);
    }

    [Fact]
    public void MismatchedShapesThrowNamingTheTensor()
    {
        var problem = new AttentionProblem(new AttentionShape(1, 2, 1, 3, 4, 8));
        var q = HostTensor.FromSingle(new float[1 * 2 * 3 * 8], 1, 2, 3, 8);
        var kv = HostTensor.FromSingle(new float[1 * 1 * 4 * 8], 1, 1, 4, 8);
        var wrong = HostTensor.FromSingle(new float[1 * 4 * 1 * 8], 1, 4, 1, 8);

        Assert.Equal("q", Assert.ThrowsAny<ArgumentException>(() => Reference.Compute(problem, kv, kv, kv)).ParamName);
        Assert.Equal("k", Assert.ThrowsAny<ArgumentException>(() => Reference.Run(problem, q, wrong, kv)).ParamName);
        Assert.Equal("v", Assert.ThrowsAny<ArgumentException>(() => Reference.Run(problem, q, kv, wrong)).ParamName);
        Assert.ThrowsAny<ArgumentException>(() => Reference.Run(problem, q, kv, kv, new SageOptions { OutputType = (ElementType)42 }));
        Assert.Throws<ArgumentNullException>(() => Reference.Compute(null!, q, kv, kv));
    }

    [Fact]
    public void ReferenceRunsHeadDimsTheSageKernelsDoNot()
    {
        // The exact reference is the yardstick for any head dim; only the quantised backends are limited to 64/128.
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, 2, 2, 3));
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.Uniform, ElementType.Float32, 4);
        var run = Reference.Run(problem, inputs.Q, inputs.K, inputs.V);
        Assert.All(run.Output.ToSingleArray(), o => Assert.True(float.IsFinite(o)));
    }

    [Fact]
    public void RowProbabilitiesOfAHandCase()
    {
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, 2, 3, 1), causal: true, softmaxScale: 1.0);
        var q = Tensors.F32([1, 1, 2, 1], 1f, 1f);
        var k = Tensors.F32([1, 1, 3, 1], 0f, MathF.Log(3f), 2f);
        double three = (double)MathF.Log(3f);

        var row0 = ReferenceAttention.RowProbabilities(problem, q, k, 0, 0, 0);
        Assert.Equal(1 / (1 + Math.Exp(three)), row0[0], 1e-15);
        Assert.Equal(Math.Exp(three) / (1 + Math.Exp(three)), row0[1], 1e-15);
        Assert.Equal(0.0, row0[2]); // masked
        Assert.Equal(3, ReferenceAttention.RowProbabilities(problem, q, k, 0, 0, 1).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => ReferenceAttention.RowProbabilities(problem, q, k, 0, 0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => ReferenceAttention.RowProbabilities(problem, q, k, 0, 1, 0));
    }
}
