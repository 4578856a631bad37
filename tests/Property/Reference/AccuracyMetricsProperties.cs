using FsCheck.Xunit;
using Sage.Reference;
using Xunit;

namespace Sage.Property.Tests.Reference;

public class AccuracyMetricsProperties
{
    private static double[] Finite(float[] values) => values.Where(float.IsFinite).Select(x => (double)x).ToArray();

    [Property]
    public void ComparingWithItselfIsPerfect(float[] raw)
    {
        var x = Finite(raw);
        var report = AccuracyMetrics.Compare(x, x);
        Assert.Equal(1.0, report.CosineSimilarity);
        Assert.Equal((0.0, 0.0, 0.0), (report.RelativeL1, report.Rmse, report.MaxAbsError));
    }

    [Property]
    public void MetricsStayInTheirRanges(float[] raw, int seed)
    {
        var expected = Finite(raw);
        var rng = new Random(seed);
        var actual = expected.Select(x => x + rng.NextDouble() - 0.5).ToArray();
        var report = AccuracyMetrics.Compare(expected, actual);
        Assert.InRange(report.CosineSimilarity, -1.0, 1.0);
        Assert.True(report.RelativeL1 >= 0);
        Assert.InRange(report.Rmse, 0.0, report.MaxAbsError);
    }

    [Property]
    public void CosineIgnoresPositiveScalingOfTheOutput(int seed, byte length)
    {
        var rng = new Random(seed);
        var expected = Enumerable.Range(0, length + 1).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var actual = expected.Select(x => x + 0.1 * (rng.NextDouble() - 0.5)).ToArray();
        var scaled = actual.Select(x => x * 8).ToArray(); // power of two: exact
        Assert.Equal(AccuracyMetrics.Compare(expected, actual).CosineSimilarity, AccuracyMetrics.Compare(expected, scaled).CosineSimilarity, 1e-14);
    }

    [Property]
    public void ANaNAnywhereIsReported(float[] raw, int position, bool inExpected)
    {
        var expected = Finite(raw).Append(1.0).ToArray();
        var actual = (double[])expected.Clone();
        (inExpected ? expected : actual)[(int)((uint)position % expected.Length)] = double.NaN;
        var report = AccuracyMetrics.Compare(expected, actual);
        Assert.Equal(inExpected ? (1L, 0L) : (0L, 1L), (report.NaNInExpected, report.NaNInActual));
        Assert.True(double.IsNaN(report.CosineSimilarity) && double.IsNaN(report.RelativeL1));
    }
}
