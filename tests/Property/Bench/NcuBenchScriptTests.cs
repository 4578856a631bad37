using Xunit;

namespace Sage.Property.Tests.Bench;

/// <summary>
/// bench/ncu-bench.sh runs only on the GPU machine: its options, the profiled `sage bench` command line and the summary
/// table (bench/ncu_summary.py) run here with a stub in place of ncu and the staged tools (ncu_bench_stub.sh). Skipped,
/// saying so, without bash or python3.
/// </summary>
public sealed class NcuBenchScriptTests : IDisposable
{
    private readonly BenchScriptRunner _scripts = new();

    public void Dispose() => _scripts.Dispose();

    [Fact]
    public async Task Profiles_the_bench_run_and_summarises_each_launch()
    {
        var run = await RunScript("-k", "sage_attention", "-c", "2", "-s", "20", "--", "--seq", "2048", "--head-dim", "128");
        Assert.True(run.Exit == 0, run.Output);
        string ncuArguments = File.ReadAllText(Path.Combine(run.Work, "ncu-args.txt"));
        Assert.Contains("--clock-control none", ncuArguments); // the card's clocks are left alone
        Assert.Contains("-k regex:sage_attention --launch-skip 20 -c 2", ncuArguments);
        Assert.Contains("sage bench --seq 2048 --head-dim 128 --json", ncuArguments);
        string summary = File.ReadAllText(Path.Combine(run.Out, "summary.txt"));
        Assert.Contains("sage_attention_d128_fp16_two_level", summary);
        Assert.Contains("280.4", summary);  // duration, µs
        Assert.Contains("53.5", summary);   // tensor pipe, % of elapsed
        Assert.Contains("10.34", summary);  // waves
        Assert.Contains("barrier 0.97, wait 0.91", summary);
        Assert.Contains("   -", summary);   // metrics the fixture lacks show as '-'
        Assert.True(File.Exists(Path.Combine(run.Out, "raw.csv.gz")), "the raw page comes back compressed");
        Assert.True(File.Exists(Path.Combine(run.Out, "prof.ncu-rep")), "the report comes back");
    }

    [Fact]
    public async Task Without_bench_arguments_the_script_refuses_with_its_usage()
    {
        var run = await RunScript("-c", "3");
        Assert.Equal(2, run.Exit);
        Assert.Contains("usage: ncu-bench.sh", run.Output);
    }

    private Task<BenchScriptRunner.Result> RunScript(params string[] arguments) =>
        _scripts.RunAsync("bench/ncu-bench.sh", ["bash", "python3", "gzip"], (start, work) =>
        {
            string stub = BenchScriptRunner.Stub("ncu_bench_stub.sh");
            start.Environment["NCU"] = $"bash {stub} ncu";
            start.Environment["RUNNER"] = $"bash {stub} run";
            start.Environment["STUB_LOG"] = Path.Combine(work, "ncu-args.txt");
        }, arguments);
}
