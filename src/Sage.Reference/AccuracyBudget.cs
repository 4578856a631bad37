using System.Globalization;

namespace Sage.Reference;

/// <summary>
/// Per-metric limits an output must stay inside, relative to the float64 reference. A report with any NaN or
/// infinity on either side is always outside the budget: a non-finite output is never "accurate enough".
/// </summary>
/// <param name="MinCosineSimilarity">Lowest acceptable cosine similarity.</param>
/// <param name="MaxRelativeL1">Highest acceptable Σ|O−R| / Σ|R|.</param>
/// <param name="MaxRmse">Highest acceptable RMSE, in output units; null: not limited (RMSE scales with the data, so
/// only a user who knows their layer's output scale should set it).</param>
/// <param name="MaxAbsError">Highest acceptable max |O−R|, in output units; null: not limited.</param>
public sealed record AccuracyBudget(double MinCosineSimilarity, double MaxRelativeL1, double? MaxRmse = null, double? MaxAbsError = null)
{
    /// <summary>
    /// The default for 8-bit QK modes. The public SageAttention2 kernels measure cosine 0.9993 and relative L1
    /// 0.038 on Gaussian data on our H100 (shared/notes/anchors.md); this budget keeps a margin above that.
    /// </summary>
    public static AccuracyBudget Default { get; } = new(0.998, 0.06);

    /// <summary>Every limit this report breaks, as "metric value vs limit"; empty when it is inside the budget.</summary>
    public IReadOnlyList<string> Violations(AccuracyReport report)
    {
        var broken = new List<string>();
        if (!report.AllFinite)
        {
            broken.Add($"non-finite values (NaN expected/actual {report.NaNInExpected}/{report.NaNInActual}, ∞ {report.InfinityInExpected}/{report.InfinityInActual})");
            return broken;
        }
        if (!(report.CosineSimilarity >= MinCosineSimilarity)) broken.Add($"cosine {F(report.CosineSimilarity)} < {F(MinCosineSimilarity)}");
        if (!(report.RelativeL1 <= MaxRelativeL1)) broken.Add($"relL1 {F(report.RelativeL1)} > {F(MaxRelativeL1)}");
        if (MaxRmse is { } rmse && !(report.Rmse <= rmse)) broken.Add($"RMSE {F(report.Rmse)} > {F(rmse)}");
        if (MaxAbsError is { } max && !(report.MaxAbsError <= max)) broken.Add($"max error {F(report.MaxAbsError)} > {F(max)}");
        return broken;
    }

    public bool Admits(AccuracyReport report) => Violations(report).Count == 0;

    private static string F(double x) => x.ToString("G5", CultureInfo.InvariantCulture);
}
