using Sage.Cli.Commands;
using Sage.Cuda.Benchmarking;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// Interleaved rounds of `sage bench --modes all` (AttentionBenchmark.Rounds / WarmUpRounds): the counts are checked
/// when set, and the CLI rejects --rounds below 1 or without --modes, naming the option.
/// </summary>
public class BenchmarkRoundsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Rounds_below_one_are_rejected_with_the_value(int rounds)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new AttentionBenchmark(null!) { Rounds = rounds });
        Assert.Equal("Rounds", e.ParamName);
        Assert.Equal(rounds, e.ActualValue);
    }

    [Fact]
    public void Negative_warm_up_rounds_are_rejected()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new AttentionBenchmark(null!) { WarmUpRounds = -1 });
        Assert.Equal("WarmUpRounds", e.ParamName);
    }

    [Fact]
    public void Defaults_are_one_timed_round_without_warm_up()
    {
        var bench = new AttentionBenchmark(null!);
        Assert.Equal(1, bench.Rounds);
        Assert.Equal(0, bench.WarmUpRounds);
        Assert.Equal(5, new AttentionBenchmark(null!) { Rounds = 5, WarmUpRounds = 1 }.Rounds);
    }

    [Fact]
    public void Cli_rounds_need_modes_and_a_positive_count()
    {
        Assert.True(new BenchCommand.Settings { Modes = "all", Rounds = 3 }.Validate().Successful);
        Assert.True(new BenchCommand.Settings { Modes = "all" }.Validate().Successful);
        var zero = new BenchCommand.Settings { Modes = "all", Rounds = 0 }.Validate();
        Assert.False(zero.Successful);
        Assert.Contains("--rounds 0", zero.Message);
        var alone = new BenchCommand.Settings { Rounds = 3 }.Validate();
        Assert.False(alone.Successful);
        Assert.Contains("--modes", alone.Message);
    }

    [Fact]
    public void Cli_smoothing_flags_time_the_sequence_table_only()
    {
        Assert.True(new BenchCommand.Settings { SmoothQ = true, SmoothV = true }.Validate().Successful);
        var modes = new BenchCommand.Settings { Modes = "all", SmoothQ = true }.Validate();
        Assert.False(modes.Successful);
        Assert.Contains("--smooth-q", modes.Message);
        Assert.False(new BenchCommand.Settings { Modes = "all", SmoothV = true }.Validate().Successful);
    }
}
