using System.ComponentModel;
using System.Reflection;
using Sage.Cli.Commands;
using Sage.Cuda.Benchmarking;
using Sage.Emulation.Planning;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// What `sage bench --modes all` times and writes (no GPU needed): every mode with the full key mean, the INT8 per-thread
/// ones with the strided mean too, each row naming its key mean, so that the planner finds a row for every candidate.
/// </summary>
public class BenchModeTableTests
{
    [Fact]
    public void Modes_all_times_the_per_thread_modes_with_both_key_means()
    {
        var modes = BenchCommand.ModeTableModes;
        Assert.Equal(modes.Count, modes.Distinct().Count());
        // Every PV accumulation x granularity x P encoding with the full mean (the eighteen modes timed before)...
        var full = modes.Where(o => o.KeyMeanTokens == KeyMeanTokens.All).ToList();
        Assert.Equal(18, full.Count);
        Assert.Equal(18, full.Select(o => (o.PvAccumulation, o.Granularity, o.PEncoding)).Distinct().Count());
        // ...and the six per-thread ones with the strided mean, each right after its full-mean twin in the pass.
        var strided = modes.Where(o => o.KeyMeanTokens == KeyMeanTokens.Strided).ToList();
        Assert.Equal(6, strided.Count);
        Assert.All(strided, o => Assert.Equal(QuantGranularity.PerThread, o.Granularity));
        for (int i = 0; i < modes.Count; i++)
            if (modes[i].KeyMeanTokens == KeyMeanTokens.Strided)
                Assert.Equal(modes[i] with { KeyMeanTokens = KeyMeanTokens.All }, modes[i - 1]);
        // Every quantised INT8 candidate the planner can offer is timed, with its exact options.
        Assert.All(ModeSpeeds.Candidates.Concat(ModeSpeeds.LogLinearCandidates).Concat(ModeSpeeds.StridedMeanCandidates).Where(c => !c.IsFallback),
            c => Assert.Contains(c.Options, modes));
    }

    [Fact]
    public void The_modes_option_states_how_many_modes_it_times()
    {
        string description = typeof(BenchCommand.Settings).GetProperty(nameof(BenchCommand.Settings.Modes))!
            .GetCustomAttribute<DescriptionAttribute>()!.Description;
        Assert.Contains($"{BenchCommand.ModeTableModes.Count} modes", description);
    }

    [Fact]
    public void Each_row_names_its_key_mean_and_the_planner_offers_every_timed_candidate()
    {
        var results = BenchCommand.ModeTableModes
            .Select((o, i) => new BenchmarkResult(new BenchmarkCase(4, 32, 8192, 128, false, o), 5 + 0.01 * i, 6 + 0.01 * i, 10, "test GPU"))
            .ToList();
        var rows = results.Select(BenchCommand.SpeedRow).ToList();
        for (int i = 0; i < rows.Count; i++)
        {
            var o = results[i].Case.Options;
            Assert.Equal((o.QkFormat, o.Granularity, o.PvAccumulation, o.PEncoding, o.KeyMeanTokens),
                (rows[i].Qk, rows[i].Granularity, rows[i].Pv, rows[i].PEncoding, rows[i].KeyMean));
            Assert.Equal(Math.Round(results[i].EndToEndTflops, 1), rows[i].EndToEndTflops);
        }
        var table = ModeSpeedTable.FromJson((ModeSpeedTable.Recorded with { Modes = rows }).ToJson());
        Assert.Equal(rows, table.Modes);
        Assert.Contains("\"keyMean\":\"Strided\"", table.ToJson());
        // A table of --modes all ranks all twelve INT8 per-thread modes, strided twins included, then the fallback.
        var c = ModeSpeeds.CandidatesFor(PlanTarget.Cuda, table);
        Assert.Equal(13, c.Count);
        Assert.Equal(6, c.Count(x => x.Options?.KeyMeanTokens == KeyMeanTokens.Strided));
        Assert.True(c[^1].IsFallback);
    }

    [Fact]
    public void Cli_key_mean_times_the_sequence_table_while_modes_all_times_both()
    {
        Assert.True(new BenchCommand.Settings { KeyMean = KeyMeanTokens.Strided }.Validate().Successful);
        Assert.True(new BenchCommand.Settings { Modes = "all" }.Validate().Successful);
        var modes = new BenchCommand.Settings { Modes = "all", KeyMean = KeyMeanTokens.Strided }.Validate();
        Assert.False(modes.Successful);
        Assert.Contains("--key-mean", modes.Message);
        Assert.Contains("--modes all times both key means", modes.Message);
        Assert.False(new BenchCommand.Settings { KeyMean = (KeyMeanTokens)7 }.Validate().Successful);
    }
}
