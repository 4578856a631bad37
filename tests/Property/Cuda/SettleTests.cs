using Sage.Cuda.Benchmarking;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// AttentionBenchmark runs SettleSeconds of untimed launches before each timed window (by default one second with
/// telemetry, because NVML's readings lag the load, docs/results/gpu-run-session19-2026-11-26.md, and none without). The
/// launch count fills the time, within bounds; the setting rejects what is not a duration; `sage bench --settle` passes it.
/// </summary>
public class SettleTests
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

    [Theory]
    [InlineData(3, 6)] // the default three input sets: each one's first sighting and its capture, untimed
    [InlineData(1, 2)]
    [InlineData(0, 2)]
    public void Warm_up_calls_see_every_input_set_twice(int inputSets, int expected) =>
        Assert.Equal(expected, AttentionBenchmark.WarmUpCalls(inputSets));

    [Fact]
    public void Default_settle_is_none_without_telemetry()
    {
        Assert.Null(new AttentionBenchmark(null!).SettleSeconds);
        Assert.Equal(0.0, new AttentionBenchmark(null!).EffectiveSettleSeconds);
        Assert.Equal(2.5, new AttentionBenchmark(null!) { SettleSeconds = 2.5 }.EffectiveSettleSeconds);
    }

    [Theory]
    [InlineData(-0.5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Settle_time_must_be_a_duration(double seconds)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new AttentionBenchmark(null!) { SettleSeconds = seconds });
        Assert.Equal("SettleSeconds", e.ParamName);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    public void Cli_settle_must_be_a_duration(string seconds)
    {
        var settings = new Sage.Cli.Commands.BenchCommand.Settings { Settle = double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture) };
        var result = settings.Validate();
        Assert.False(result.Successful);
        Assert.Contains("--settle", result.Message);
    }

    [Fact]
    public void Cli_settle_accepts_zero_and_seconds()
    {
        Assert.True(new Sage.Cli.Commands.BenchCommand.Settings { Settle = 0 }.Validate().Successful);
        Assert.True(new Sage.Cli.Commands.BenchCommand.Settings { Settle = 1.5 }.Validate().Successful);
    }
}
