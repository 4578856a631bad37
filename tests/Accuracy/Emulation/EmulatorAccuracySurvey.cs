using Sage.Reference;
using Xunit;

namespace Sage.Accuracy.Tests.Emulation;

/// <summary>Prints every mode's metrics on every family (the table behind docs/kernel-spec.md §13). Asserts only finiteness.</summary>
public class EmulatorAccuracySurvey
{
    [Fact]
    public void PrintTable()
    {
        var problem = EmulatorAccuracyCase.Problem(heads: 2, length: 1024);
        var output = TestContext.Current.TestOutputHelper!;
        foreach (var family in Enum.GetValues<DataFamily>())
        foreach (var qk in new[] { QkFormat.Int8, QkFormat.Int4 })
        foreach (var g in Enum.GetValues<QuantGranularity>())
        foreach (var pv in Enum.GetValues<PvAccumulation>())
        foreach (var smoothK in new[] { true, false })
        {
            if ((g != QuantGranularity.PerThread || !smoothK || qk == QkFormat.Int4) && pv != PvAccumulation.Fp16TwoLevel) continue;
            var options = new SageOptions { QkFormat = qk, Granularity = g, PvAccumulation = pv, SmoothK = smoothK, OutputType = ElementType.Float32 };
            var report = EmulatorAccuracyCase.Measure(problem, family, options);
            output.WriteLine($"| {family} | {options} | {report.CosineSimilarity:F6} | {report.RelativeL1:E3} | {report.Rmse:E3} | {report.MaxAbsError:E3} |");
            Assert.True(report.AllFinite, report.ToString());
        }
    }
}
