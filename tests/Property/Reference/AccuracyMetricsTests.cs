using Sage.Reference;
using Xunit;

namespace Sage.Property.Tests.Reference;

public class AccuracyMetricsTests
{
    [Fact]
    public void HandCheckedValues()
    {
        // r = (1, 2, 3), o = (1, 2, 4): r·o = 17, |r|² = 14, |o|² = 21, Σ|o−r| = 1, Σ|r| = 6, Σ(o−r)² = 1.
        var report = AccuracyMetrics.Compare([1.0, 2, 3], [1.0, 2, 4]);
        Assert.Equal(17 / Math.Sqrt(14 * 21), report.CosineSimilarity, 1e-15);
        Assert.Equal(0.9914601339836673, report.CosineSimilarity, 1e-15);
        Assert.Equal(1.0 / 6, report.RelativeL1, 1e-15);
        Assert.Equal(Math.Sqrt(1.0 / 3), report.Rmse, 1e-15);
        Assert.Equal(1.0, report.MaxAbsError);
        Assert.Equal(3, report.Count);
        Assert.True(report.AllFinite);
    }

    [Fact]
    public void OppositeVectors()
    {
        // r = (3, −4), o = −r: cosine −1, Σ|o−r| = 14, Σ|r| = 7, RMSE = √((36 + 64)/2), max error 8.
        var report = AccuracyMetrics.Compare([3.0, -4], [-3f, 4]);
        Assert.Equal(-1.0, report.CosineSimilarity, 1e-15);
        Assert.Equal(2.0, report.RelativeL1);
        Assert.Equal(Math.Sqrt(50), report.Rmse, 1e-14);
        Assert.Equal(8.0, report.MaxAbsError);
    }

    [Fact]
    public void IdenticalInputsAreExactlyPerfect()
    {
        double[] x = [0.1, -0.7, 1e-3, 12345.678, -3e-9];
        var report = AccuracyMetrics.Compare(x, x);
        Assert.Equal(new AccuracyReport(1, 0, 0, 0, 5, 0, 0, 0, 0), report);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void NaNIsCountedAndPoisonsEveryMetric(bool inExpected, bool inActual)
    {
        double[] expected = [1, 2, 3, 4];
        float[] actual = [1, 2, 3, 4];
        if (inExpected) expected[1] = double.NaN;
        if (inActual) { actual[2] = float.NaN; actual[3] = float.NaN; }

        var report = AccuracyMetrics.Compare(expected, actual);
        Assert.Equal(inExpected ? 1 : 0, report.NaNInExpected);
        Assert.Equal(inActual ? 2 : 0, report.NaNInActual);
        Assert.Equal(4, report.Count);
        Assert.False(report.AllFinite);
        Assert.True(double.IsNaN(report.CosineSimilarity));
        Assert.True(double.IsNaN(report.RelativeL1));
        Assert.True(double.IsNaN(report.Rmse));
        Assert.True(double.IsNaN(report.MaxAbsError));
        Assert.Contains("NaN(expected/actual)=", report.ToString());
    }

    [Fact]
    public void InfinityIsCountedAndPoisonsEveryMetric()
    {
        var report = AccuracyMetrics.Compare([1.0, double.NegativeInfinity, 3], [float.PositiveInfinity, 2, float.PositiveInfinity]);
        Assert.Equal((1L, 2L, 0L, 0L), (report.InfinityInExpected, report.InfinityInActual, report.NaNInExpected, report.NaNInActual));
        Assert.True(double.IsNaN(report.CosineSimilarity));
        Assert.True(double.IsNaN(report.MaxAbsError));
    }

    [Fact]
    public void NaNFarIntoALongInputIsStillCounted()
    {
        // Several chunks of the accumulator; the odd value sits in a later one.
        var expected = Enumerable.Range(0, 10_000).Select(i => Math.Sin(i)).ToArray();
        var actual = expected.Select(x => (float)x).ToArray();
        actual[9_999] = float.NaN;
        Assert.Equal(1, AccuracyMetrics.Compare(expected, actual).NaNInActual);
        actual[9_999] = (float)expected[9_999] + 0.5f;
        Assert.Equal(0.5, AccuracyMetrics.Compare(expected, actual).MaxAbsError, 1e-6);
    }

    [Fact]
    public void BothAllZeroAgreePerfectly()
    {
        var report = AccuracyMetrics.Compare(new double[3], new float[3]);
        Assert.Equal(new AccuracyReport(1, 0, 0, 0, 3, 0, 0, 0, 0), report);
    }

    [Fact]
    public void AllZeroReferenceWithErrorsHasInfiniteRelativeL1()
    {
        var report = AccuracyMetrics.Compare([0.0, 0], [3.0, -4]);
        Assert.Equal(0.0, report.CosineSimilarity);
        Assert.Equal(double.PositiveInfinity, report.RelativeL1);
        Assert.Equal(Math.Sqrt(12.5), report.Rmse, 1e-15);
        Assert.Equal(4.0, report.MaxAbsError);
        Assert.True(report.AllFinite); // the inputs are finite; only the ratio is unbounded
    }

    [Fact]
    public void AllZeroOutputAgainstANonZeroReference()
    {
        var report = AccuracyMetrics.Compare([3.0, -4], [0.0, 0]);
        Assert.Equal(0.0, report.CosineSimilarity);
        Assert.Equal(1.0, report.RelativeL1);
    }

    [Fact]
    public void NothingComparedIsPerfectAgreement()
    {
        Assert.Equal(new AccuracyReport(1, 0, 0, 0, 0, 0, 0, 0, 0), AccuracyMetrics.Compare(ReadOnlySpan<double>.Empty, ReadOnlySpan<float>.Empty));
    }

    [Fact]
    public void LengthsMustMatch()
    {
        var error = Assert.Throws<ArgumentException>(() => AccuracyMetrics.Compare([1.0, 2], [1.0]));
        Assert.Equal("actual", error.ParamName);
        Assert.Throws<ArgumentException>(() => AccuracyMetrics.Compare([1.0, 2], HostTensor.FromSingle([1f, 2, 3], 3)));
    }

    [Fact]
    public void TensorOverloadsWidenExactlyAndCheckShapes()
    {
        var expected = new double[] { 0.1, 0.2, 0.3, 0.4, -0.5, 0.6 };
        var actual = HostTensor.Create(ElementType.Float16, [0.1f, 0.2f, 0.3f, 0.4f, -0.5f, 0.6f], 1, 1, 2, 3);
        var viaTensor = AccuracyMetrics.Compare(expected, actual);
        Assert.Equal(AccuracyMetrics.Compare(expected, actual.ToSingleArray()), viaTensor);
        Assert.Equal(AccuracyMetrics.Compare(expected, actual.ToSingleArray().Select(x => (double)x).ToArray()), viaTensor);
        Assert.True(viaTensor.RelativeL1 is > 0 and < 1e-3); // FP16 rounding error, not zero

        var reference = new ReferenceResult(expected, [1, 1, 2, 3], TensorLayout.HND, []);
        Assert.Equal(viaTensor, AccuracyMetrics.Compare(reference, actual));
        var transposed = HostTensor.Create(ElementType.Float16, actual.ToSingleArray(), 1, 1, 3, 2);
        Assert.Equal("actual", Assert.Throws<ArgumentException>(() => AccuracyMetrics.Compare(reference, transposed)).ParamName);
    }
}

public class AccuracyMetricsTensorPairTests
{
    [Fact]
    public void TwoTensorsOfDifferentTypesCompareAsTheirExactValues()
    {
        float[] values = [0.1f, -2.5f, 3.25f, 1e-3f];
        var fp32 = HostTensor.FromSingle(values, 2, 2);
        var bf16 = HostTensor.Create(ElementType.BFloat16, values, 2, 2);
        var report = AccuracyMetrics.Compare(fp32, bf16);
        Assert.Equal(AccuracyMetrics.Compare(values.Select(x => (double)x).ToArray(), bf16.ToSingleArray()), report);
        Assert.Equal(Math.Abs(0.1f - bf16[0]), report.MaxAbsError, 1e-9); // -2.5 and 3.25 are exact in BF16
        Assert.Equal("actual", Assert.Throws<ArgumentException>(() => AccuracyMetrics.Compare(fp32, HostTensor.FromSingle(values, 4))).ParamName);
    }
}

public class AccuracyMetricsLseTests
{
    [Fact]
    public void RowsEmptyOnBothSidesAgreeAndAreLeftOut()
    {
        double[] expected = [double.NegativeInfinity, 1.0, 2.0, double.NegativeInfinity];
        float[] actual = [float.NegativeInfinity, 1f, 2.5f, float.NegativeInfinity];
        var report = AccuracyMetrics.CompareLse(expected, actual);
        Assert.True(report.AllFinite);
        Assert.Equal(2, report.Count);
        Assert.Equal(0.5, report.MaxAbsError);
        Assert.Equal(0.5 / 3, report.RelativeL1, 1e-15);
    }

    [Fact]
    public void AnEmptyRowOnOneSideOnlyIsReported()
    {
        var report = AccuracyMetrics.CompareLse([double.NegativeInfinity, 1.0], [0.5f, 1f]);
        Assert.Equal((1L, 0L), (report.InfinityInExpected, report.InfinityInActual));
        Assert.True(double.IsNaN(report.Rmse));
        Assert.Equal(1, AccuracyMetrics.CompareLse([1.0], [float.NegativeInfinity]).InfinityInActual);
        Assert.Equal(1, AccuracyMetrics.CompareLse([double.NegativeInfinity], [float.NaN]).NaNInActual);
    }

    [Fact]
    public void ReferenceLseAgainstItsOwnRoundedRun()
    {
        var problem = new AttentionProblem(new AttentionShape(1, 2, 1, 9, 4, 8), causal: true, returnLse: true); // 5 empty rows per head
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.Gaussian, ElementType.Float16, 4);
        var reference = new ReferenceAttention();
        var exact = reference.Compute(problem, inputs.Q, inputs.K, inputs.V);
        var report = AccuracyMetrics.CompareLse(exact.Lse, reference.Run(problem, inputs.Q, inputs.K, inputs.V).Lse!);
        Assert.Equal(2 * 4, report.Count);
        Assert.True(report.AllFinite && report.RelativeL1 < 1e-7, report.ToString());
    }
}
