using Sage.Reference;
using Xunit;

namespace Sage.Accuracy.Tests.Reference;

/// <summary>The reference against an independent textbook implementation on problems of realistic head sizes.</summary>
public class ReferenceAgainstNaiveTests
{
    public static TheoryData<int, int, int, int, int, int, TensorLayout, bool, DataFamily> Cases => new()
    {
        { 1, 4, 4, 96, 96, 64, TensorLayout.HND, false, DataFamily.Gaussian },
        { 2, 8, 2, 130, 70, 128, TensorLayout.NHD, true, DataFamily.KChannelBias },   // Nq > Nk: leading rows see nothing
        { 1, 6, 3, 50, 200, 64, TensorLayout.HND, true, DataFamily.HeavyTail },       // Nq < Nk: bottom-right alignment
        { 2, 4, 1, 64, 65, 128, TensorLayout.NHD, false, DataFamily.VChannelBias },
        { 1, 2, 2, 33, 33, 80, TensorLayout.HND, true, DataFamily.Uniform },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTextbookAttention(int batch, int qHeads, int kvHeads, int nq, int nk, int d, TensorLayout layout, bool causal, DataFamily family)
    {
        var problem = new AttentionProblem(new AttentionShape(batch, qHeads, kvHeads, nq, nk, d), layout, causal, returnLse: true);
        var inputs = SyntheticData.GenerateInputs(problem, family, ElementType.Float16, 2026);
        var (q, k, v) = (inputs.Q.ToSingleArray(), inputs.K.ToSingleArray(), inputs.V.ToSingleArray());

        var exact = new ReferenceAttention().Compute(problem, inputs.Q, inputs.K, inputs.V);
        var (naiveOutput, naiveLse) = NaiveAttention.Compute(problem, q, k, v);

        var report = AccuracyMetrics.Compare(naiveOutput, exact.Output);
        Assert.True(report.AllFinite, report.ToString());
        Assert.True(report.MaxAbsError < 1e-12 * (1 + v.Max(Math.Abs)), report.ToString());
        Assert.True(report.RelativeL1 < 1e-14, report.ToString());
        for (int i = 0; i < naiveLse.Length; i++)
        {
            if (double.IsNegativeInfinity(naiveLse[i])) Assert.Equal(double.NegativeInfinity, exact.Lse[i]);
            else Assert.Equal(naiveLse[i], exact.Lse[i], 1e-12 * (1 + Math.Abs(naiveLse[i])));
        }
    }

    [Theory]
    [InlineData(ElementType.Float16, 1e-3, 0.999999)]
    [InlineData(ElementType.BFloat16, 8e-3, 0.99997)]
    [InlineData(ElementType.Float32, 1e-7, 0.9999999999)]
    public void RoundedOutputStaysWithinItsFormatsPrecision(ElementType outputType, double maxRelativeL1, double minCosine)
    {
        // One rounding of each output: relative error at most half an ulp (2⁻¹¹ FP16, 2⁻⁸ BF16, 2⁻²⁴ FP32).
        var problem = new AttentionProblem(new AttentionShape(2, 4, 2, 128, 128, 64), causal: true, returnLse: true);
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.Gaussian, ElementType.BFloat16, 77);
        var reference = new ReferenceAttention();
        var exact = reference.Compute(problem, inputs.Q, inputs.K, inputs.V);
        var run = reference.Run(problem, inputs.Q, inputs.K, inputs.V, new SageOptions { OutputType = outputType });

        var report = AccuracyMetrics.Compare(exact, run.Output);
        Assert.True(report.RelativeL1 > 0 && report.RelativeL1 < maxRelativeL1, report.ToString());
        Assert.True(report.CosineSimilarity > minCosine, report.ToString());
        var lse = run.Lse!;
        for (int i = 0; i < lse.Length; i++) Assert.Equal((float)exact.Lse[i], lse[i]);
        var output = run.Output.ToSingleArray();
        double halfUlp = outputType switch { ElementType.Float16 => Math.ScaleB(1, -11), ElementType.BFloat16 => Math.ScaleB(1, -8), _ => Math.ScaleB(1, -24) };
        for (int i = 0; i < output.Length; i++)
            Assert.True(Math.Abs(output[i] - exact.Output[i]) <= halfUlp * Math.Abs(exact.Output[i]) + 1e-7 * (outputType == ElementType.Float32 ? 0 : 1),
                $"element {i}: {output[i]} vs {exact.Output[i]}");
    }
}
