using Sage.Cli.Commands;
using Sage.Cuda.Benchmarking;
using Spectre.Console;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// `sage bench --timeline` prints its table after the GPU work (no GPU needed here): the table must render (Spectre parses
/// column headers and cells as markup, so a bracket in a header throws only at that point, after the benchmark ran) and
/// show the setup's and the epilogue's splits.
/// </summary>
public sealed class TimelineTableTests
{
    [Fact]
    public void The_timeline_table_renders_the_setup_and_epilogue_splits()
    {
        // One CTA at 1 GHz (no measurable clock rate: thousands of cycles): entry 0, indices 400, issue 900, setup 1000,
        // loop 1600, first QK 2300, loop end 10_300 (5 tiles), epilogue barrier 10_600, staged 11_200, exit 12_000.
        var record = new CtaTimeline.Record(0, 5, 0, 1000, 1600, 2300, 10_300, 12_000, 0, 400, 900, 10_600, 11_200);
        var timeline = CtaTimeline.Summarize([record]);
        var result = new BenchmarkResult(new BenchmarkCase(4, 32, 2048, 128, true, SageOptions.Default), 0.2, 0.35, 10, "test GPU")
        {
            Timeline = timeline,
        };
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 400;
        console.Write(BenchCommand.TimelineTable([result]));
        string text = writer.ToString();
        Assert.Contains("1.00: 0.40 / 0.50, + 0.60", text);    // setup (indices / issue), then the Q wait
        Assert.Contains("1.70 (0.30 / 0.60 / 0.80)", text);     // epilogue (barrier / staging / stores)
        Assert.Contains("indices / issue", text);
    }
}
