using Sage.Emulation;
using Sage.Numerics;
using Xunit;

namespace Sage.Property.Tests.Api;

/// <summary>Non-finite or huge inputs are refused by the Sage backends, naming tensor, position and value; never a silent NaN.</summary>
public class SageInputDomainTests
{
    private static readonly AttentionShape Shape = new(1, 2, 1, 5, 7, 64);

    private static HostTensor Tensor(ElementType type, int[] shape, Func<int, float> value)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        return HostTensor.Create(type, Enumerable.Range(0, n).Select(value).ToArray(), shape);
    }

    [Theory]
    [InlineData(ElementType.Float32, float.NaN, TensorLayout.HND)]
    [InlineData(ElementType.Float32, float.PositiveInfinity, TensorLayout.NHD)]
    [InlineData(ElementType.Float32, 2e30f, TensorLayout.HND)]
    [InlineData(ElementType.Float16, float.NegativeInfinity, TensorLayout.HND)]
    [InlineData(ElementType.Float16, float.NaN, TensorLayout.NHD)]
    [InlineData(ElementType.BFloat16, float.NaN, TensorLayout.HND)]
    [InlineData(ElementType.BFloat16, 1e35f, TensorLayout.NHD)]
    public void EmulatorRefusesAnOutOfDomainElementNamingItsPosition(ElementType type, float bad, TensorLayout layout)
    {
        var problem = new AttentionProblem(Shape, layout);
        int[] qs = Shape.QueryShape(layout), ks = Shape.KeyValueShape(layout);
        var q = Tensor(type, qs, i => (i % 7) * 0.25f - 0.5f);
        var v = Tensor(type, ks, i => (i % 5) * 0.5f - 1f);
        // Put the bad value at K[batch 0, head 0, token 3, channel 10].
        int at = layout == TensorLayout.HND ? 3 * 64 + 10 : (3 * 1 + 0) * 64 + 10;
        var k = Tensor(type, ks, i => i == at ? bad : (i % 3) * 0.5f);

        var e = Assert.Throws<ArgumentException>(() => new EmulatedAttention().Run(problem, q, k, v));
        Assert.Equal("k", e.ParamName);
        Assert.Contains("token 3, channel 10", e.Message);
        Assert.Contains("2^100", e.Message);
    }

    /// <summary>The host check the CUDA backend runs (one vectorised pass per tensor, then the element scan) refuses V too.</summary>
    [Theory]
    [InlineData(ElementType.Float32, float.NaN)]
    [InlineData(ElementType.Float16, float.PositiveInfinity)]
    [InlineData(ElementType.BFloat16, 1e35f)]
    public void RequireRefusesAnOutOfDomainValueElement(ElementType type, float bad)
    {
        var problem = new AttentionProblem(Shape, TensorLayout.HND);
        int[] qs = Shape.QueryShape(TensorLayout.HND), ks = Shape.KeyValueShape(TensorLayout.HND);
        var q = Tensor(type, qs, i => (i % 7) * 0.25f - 0.5f);
        var k = Tensor(type, ks, i => (i % 3) * 0.5f);
        var v = Tensor(type, ks, i => i == 5 * 64 + 2 ? bad : (i % 5) * 0.5f - 1f);

        var e = Assert.Throws<ArgumentException>(() => SageInputDomain.Require(problem, q, k, v));
        Assert.Equal("v", e.ParamName);
        Assert.Contains("token 5, channel 2", e.Message);
        SageInputDomain.Require(problem, q, k, Tensor(type, ks, i => (i % 5) * 0.5f - 1f)); // the clean V passes
    }

    [Fact]
    public void LargestAllowedMagnitudesPass()
    {
        Assert.Equal(-1, SageInputDomain.FirstOutside(HostTensor.FromSingle([BitConverter.UInt32BitsToSingle(0x717FFFFF), -1e30f], 2)));
        Assert.Equal(1, SageInputDomain.FirstOutside(HostTensor.FromSingle([1f, SageInputDomain.MaxMagnitude], 2)));
        Assert.Equal(-1, SageInputDomain.FirstOutside(HostTensor.Create(ElementType.Float16, [65504f, -65504f], 2)));
        // The largest BF16 below 2^100 passes, 2^100 itself does not.
        float belowBf16 = BFloat16.FromBits(0x717F).ToSingle();
        Assert.Equal(-1, SageInputDomain.FirstOutside(HostTensor.Create(ElementType.BFloat16, [belowBf16], 1)));
        Assert.Equal(0, SageInputDomain.FirstOutside(HostTensor.Create(ElementType.BFloat16, [SageInputDomain.MaxMagnitude], 1)));
    }

    [Fact]
    public void MaxMagnitudeIsExactlyTwoToThe100() => Assert.Equal((uint)(127 + 100) << 23, BitConverter.SingleToUInt32Bits(SageInputDomain.MaxMagnitude));

    private static AttentionProblem ScoreProblem => new(new AttentionShape(1, 2, 2, 40, 50, 64), TensorLayout.HND, causal: false, returnLse: true);

    /// <summary>Gaussian FP32 inputs (seed 4) with Q and K times <paramref name="factor"/>.</summary>
    private static (HostTensor Q, HostTensor K, HostTensor V) ScaledInputs(float factor)
    {
        var x = Sage.Reference.SyntheticData.GenerateInputs(ScoreProblem, Sage.Reference.DataFamily.Gaussian, ElementType.Float32, seed: 4);
        HostTensor Scale(HostTensor t) => HostTensor.FromSingle(t.ToSingleArray().Select(e => e * factor).ToArray(), [.. t.Shape]);
        return (Scale(x.Q), Scale(x.K), x.V);
    }

    [Fact]
    public void EmulatorRefusesScoresPastTheBoundNamingTheMagnitudes()
    {
        // Every element is below 2^100, but max|Q|·max|K| ≈ 2^100: qk would overflow fp32 and every output turn NaN.
        var (q, k, v) = ScaledInputs(1.1258999e15f); // 2^50
        var e = Assert.Throws<ArgumentException>(() => new EmulatedAttention().Run(ScoreProblem, q, k, v));
        Assert.Equal("q", e.ParamName);
        Assert.Contains("max|Q|·max|K|·d·sm_scale·log2(e)", e.Message);
        Assert.Contains("2^100", e.Message);
        // The host-tensor check says the same.
        var e2 = Assert.Throws<ArgumentException>(() => SageInputDomain.Require(ScoreProblem, q, k, v));
        Assert.Equal(e.Message, e2.Message);
    }

    [Fact]
    public void ScoresJustInsideTheBoundGiveFiniteOutputs()
    {
        // Q and K times 2^40: scores near 2^80 in log2 units, a one-hot softmax, and every output finite.
        var (q, k, v) = ScaledInputs(1.0995116e12f); // 2^40
        double bound = SageInputDomain.ScoreBound(ScoreProblem, SageInputDomain.LargestMagnitude(q), SageInputDomain.LargestMagnitude(k));
        Assert.InRange(bound, Math.Pow(2, 70), SageInputDomain.MaxScoreBound);
        foreach (var encoding in new[] { PEncoding.Exp2, PEncoding.LogLinear })
        {
            var r = new EmulatedAttention().Run(ScoreProblem, q, k, v, new SageOptions { PEncoding = encoding });
            Assert.All(r.Output.ToSingleArray(), o => Assert.True(float.IsFinite(o), $"{encoding}: output {o}"));
            Assert.All(r.Lse!, l => Assert.True(float.IsFinite(l), $"{encoding}: LSE {l}"));
        }
    }

    [Fact]
    public void TheScoreBoundIsTheProductOfMagnitudesHeadDimScaleAndLog2E()
    {
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, 4, 4, 128), TensorLayout.HND, causal: false, softmaxScale: 0.25);
        Assert.Equal(3.0 * 5.0 * 128 * 0.25 * Math.Log2(Math.E), SageInputDomain.ScoreBound(problem, 3, 5), 9);
        SageInputDomain.RequireBoundedScores(problem, 1e14, 1e14); // 1e28 · 46 ≈ 2^98.9: inside
        Assert.Throws<ArgumentException>(() => SageInputDomain.RequireBoundedScores(problem, 1e14, 3e14));
    }

    [Theory]
    [InlineData(ElementType.Float32)]
    [InlineData(ElementType.Float16)]
    [InlineData(ElementType.BFloat16)]
    public void LargestMagnitudeIsTheLargestAbsoluteElement(ElementType type)
    {
        float[] values = [0.5f, -3.25f, 2f, -0f, 1.5f];
        var t = HostTensor.Create(type, values, 5);
        Assert.Equal(3.25f, SageInputDomain.LargestMagnitude(t));
        Assert.Equal(0f, SageInputDomain.LargestMagnitude(HostTensor.Create(type, [-0f, 0f], 2)));
    }

    [Theory]
    [InlineData(ElementType.Float16, 1000)]
    [InlineData(ElementType.BFloat16, 1000)]
    [InlineData(ElementType.Float16, 37)]
    [InlineData(ElementType.BFloat16, 37)]
    public void LargestMagnitudeOfLongTensorsMatchesTheElementwiseMaximum(ElementType type, int length)
    {
        // Longer than any vector width, and an odd tail: the vectorised lanes and the scalar tail both count.
        var rnd = new Random(length);
        var values = Enumerable.Range(0, length).Select(_ => (float)((rnd.NextDouble() - 0.5) * Math.Pow(2, rnd.Next(-20, 15)))).ToArray();
        var t = HostTensor.Create(type, values, length);
        float expected = t.ToSingleArray().Max(MathF.Abs);
        Assert.Equal(expected, SageInputDomain.LargestMagnitude(t));
        values[length - 1] = -60000f; // the largest in the tail
        Assert.Equal(HostTensor.Create(type, values, length).ToSingleArray().Max(MathF.Abs),
            SageInputDomain.LargestMagnitude(HostTensor.Create(type, values, length)));
    }
}
