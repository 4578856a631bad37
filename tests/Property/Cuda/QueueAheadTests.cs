using Sage.Cuda.Benchmarking;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// AttentionBenchmark.QueueAheadMicroseconds (`sage bench --queue-ahead`): a spin kernel queued before each timed launch,
/// so that the events time the GPU alone rather than the host's enqueue work too. Off by default; the spin is sized for
/// 2 GHz so that it lasts at least the asked time at any lower clock; the settings reject what is not a duration.
/// </summary>
public class QueueAheadTests
{
    [Fact]
    public void Queue_ahead_is_off_by_default() => Assert.Equal(0.0, new AttentionBenchmark(null!).QueueAheadMicroseconds);

    [Theory]
    [InlineData(50, 100_000)]
    [InlineData(0.25, 500)]
    [InlineData(0.0001, 1)]
    public void Spin_cycles_last_at_least_the_time_at_2_GHz(double microseconds, long cycles) =>
        Assert.Equal(cycles, AttentionBenchmark.QueueAheadCycles(microseconds));

    [Theory]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Queue_ahead_must_be_a_duration(double microseconds)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new AttentionBenchmark(null!) { QueueAheadMicroseconds = microseconds });
        Assert.Equal("QueueAheadMicroseconds", e.ParamName);
        var result = new Sage.Cli.Commands.BenchCommand.Settings { QueueAhead = microseconds }.Validate();
        Assert.False(result.Successful);
        Assert.Contains("--queue-ahead", result.Message);
    }

    [Fact]
    public void Cli_queue_ahead_accepts_zero_and_microseconds()
    {
        Assert.True(new Sage.Cli.Commands.BenchCommand.Settings { QueueAhead = 0 }.Validate().Successful);
        Assert.True(new Sage.Cli.Commands.BenchCommand.Settings { QueueAhead = 100 }.Validate().Successful);
        Assert.False(new Sage.Cli.Commands.BenchCommand.Settings { QueueAhead = 2e6 }.Validate().Successful);
    }
}
