using Sage.Cuda.Benchmarking;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// With telemetry, AttentionBenchmark runs TelemetrySettleSeconds of untimed launches before each observed window, because
/// NVML's readings lag the load (docs/results/gpu-run-session19-2026-11-26.md). The launch count fills the time, within
/// bounds; the setting rejects what is not a duration.
/// </summary>
public class TelemetrySettleTests
{
    [Theory]
    [InlineData(18.5, 1.0, 55)]     // 16K main loop: ⌈1000 / 18.5⌉
    [InlineData(0.35, 1.0, 2858)]   // 2K
    [InlineData(2000, 1.0, 1)]      // one launch longer than the settle time
    [InlineData(0.001, 1.0, 100_000)] // capped
    [InlineData(0.0, 1.0, 1)]       // unmeasurably short
    [InlineData(double.NaN, 1.0, 1)]
    public void Settle_launches_fill_the_time(double launchMilliseconds, double seconds, int expected) =>
        Assert.Equal(expected, AttentionBenchmark.SettleLaunches(launchMilliseconds, seconds));

    [Fact]
    public void Default_settle_is_one_second() => Assert.Equal(1.0, new AttentionBenchmark(null!).TelemetrySettleSeconds);

    [Theory]
    [InlineData(-0.5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Settle_time_must_be_a_duration(double seconds)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new AttentionBenchmark(null!) { TelemetrySettleSeconds = seconds });
        Assert.Equal("TelemetrySettleSeconds", e.ParamName);
    }
}
