namespace Sage.Cuda.Telemetry;

/// <summary>
/// The samples taken while one measurement ran: their count, the median and lowest SM clock, the median power and the
/// share of samples in which the driver capped power (<see cref="ClockEventReasons.SwPowerCap"/>). With no sample (a
/// measurement shorter than the sampling interval) every statistic is NaN.
/// </summary>
public sealed record TelemetrySummary(int Samples, double MedianSmClockMHz, double MinSmClockMHz, double MedianPowerWatts, double PowerCapShare)
{
    public static TelemetrySummary From(IReadOnlyList<TelemetrySample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0) return new TelemetrySummary(0, double.NaN, double.NaN, double.NaN, double.NaN);
        var clocks = samples.Select(s => s.SmClockMHz).Order().ToArray();
        var power = samples.Select(s => s.PowerWatts).Order().ToArray();
        int capped = samples.Count(s => (s.Reasons & ClockEventReasons.SwPowerCap) != 0);
        return new TelemetrySummary(samples.Count, Median(clocks), clocks[0], Median(power), (double)capped / samples.Count);
    }

    /// <summary>The middle value of sorted data; the mean of the two middle values for an even count.</summary>
    private static double Median(double[] sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}
