using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Sage.Cuda.Telemetry;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>The summary `sage bench --telemetry` reports, and the NVML reason bits it reads (no GPU needed).</summary>
public class TelemetrySummaryTests
{
    [Fact]
    public void Summary_of_known_readings()
    {
        var samples = new[]
        {
            new TelemetrySample(1650, 620, ClockEventReasons.SwPowerCap),
            new TelemetrySample(1980, 400, ClockEventReasons.None),
            new TelemetrySample(1335, 700, ClockEventReasons.SwPowerCap | ClockEventReasons.HwSlowdown),
            new TelemetrySample(1700, 650, ClockEventReasons.GpuIdle),
        };
        var s = TelemetrySummary.From(samples);
        Assert.Equal(4, s.Samples);
        Assert.Equal((1650 + 1700) / 2.0, s.MedianSmClockMHz);
        Assert.Equal(1335, s.MinSmClockMHz);
        Assert.Equal((620 + 650) / 2.0, s.MedianPowerWatts);
        Assert.Equal(0.5, s.PowerCapShare);
    }

    [Fact]
    public void No_readings_give_no_statistics()
    {
        var s = TelemetrySummary.From([]);
        Assert.Equal(0, s.Samples);
        Assert.True(double.IsNaN(s.MedianSmClockMHz) && double.IsNaN(s.MinSmClockMHz) && double.IsNaN(s.MedianPowerWatts) && double.IsNaN(s.PowerCapShare));
    }

    [Property(MaxTest = 500)]
    public bool Median_splits_the_readings_and_bounds_hold(NonEmptyArray<PositiveInt> clocks, int seed)
    {
        var random = new Random(seed);
        var samples = clocks.Get.Select(c => new TelemetrySample(c.Get % 3000, random.Next(50, 800),
            random.Next(2) == 0 ? ClockEventReasons.SwPowerCap : ClockEventReasons.None)).ToList();
        var s = TelemetrySummary.From(samples);
        int below = samples.Count(x => x.SmClockMHz < s.MedianSmClockMHz), above = samples.Count(x => x.SmClockMHz > s.MedianSmClockMHz);
        return s.Samples == samples.Count
            && below <= samples.Count / 2 && above <= samples.Count / 2
            && s.MinSmClockMHz == samples.Min(x => x.SmClockMHz)
            && s.PowerCapShare >= 0 && s.PowerCapShare <= 1
            && Math.Round(s.PowerCapShare * samples.Count) == samples.Count(x => x.Reasons.HasFlag(ClockEventReasons.SwPowerCap));
    }

    [Fact]
    public void Reason_bits_are_nvml_constants()
    {
        // nvml.h: nvmlClocksEventReasonGpuIdle 0x1 … nvmlClocksEventReasonDisplayClockSetting 0x100.
        Assert.Equal(0x1UL, (ulong)ClockEventReasons.GpuIdle);
        Assert.Equal(0x4UL, (ulong)ClockEventReasons.SwPowerCap);
        Assert.Equal(0x8UL, (ulong)ClockEventReasons.HwSlowdown);
        Assert.Equal(0x20UL, (ulong)ClockEventReasons.SwThermalSlowdown);
        Assert.Equal(0x40UL, (ulong)ClockEventReasons.HwThermalSlowdown);
        Assert.Equal(0x80UL, (ulong)ClockEventReasons.HwPowerBrakeSlowdown);
    }
}
