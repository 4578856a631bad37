using Xunit;

namespace Sage.Property.Tests.Bench;

/// <summary>
/// bench/ab-defines.sh runs only on the GPU machine, where a broken script costs a device call: its logic (kernels of
/// each variant against main's, the bit-exact classes under each variant, the table of medians) runs here with a stub
/// in place of the staged tools (ab_defines_stub_runner.sh). Skipped, saying so, without bash or python3.
/// </summary>
public sealed class AbDefinesScriptTests : IDisposable
{
    private readonly BenchScriptRunner _scripts = new();

    public void Dispose() => _scripts.Dispose();

    [Fact]
    public async Task A_variant_s_changed_kernels_speed_and_bit_exact_counts_are_reported()
    {
        var run = await RunScript("-r", "2", "-t", "SAGE_X=1", "SAGE_BAD=1");
        Assert.True(run.Exit == 0, run.Output);
        string kernels = File.ReadAllText(Path.Combine(run.Out, "kernels.txt"));
        Assert.Contains("== SAGE_X=1: 1 of 2 kernels differ", kernels);
        Assert.Contains("161/0/0/4296 -> 168/0/0/4296", kernels);
        Assert.Contains("== SAGE_BAD=1: 0 of 2 kernels differ", kernels);
        string table = File.ReadAllText(Path.Combine(run.Out, "ab.txt"));
        Assert.Contains("0.280 / 0.480 -6.7%", table); // the variant's kernel against main's 0.300, over both rounds
        Assert.Contains("0.300 / 0.480", table);
        string log = File.ReadAllText(Path.Combine(run.Out, "log.txt"));
        Assert.Contains("under SAGE_X=1: exit 0, 1 lines, 0 mismatches", log);
        Assert.Contains("under SAGE_BAD=1: exit 1, 1 lines, 1 mismatches", log);
        Assert.Equal(12, File.ReadAllLines(Path.Combine(run.Out, "ab.jsonl")).Length); // 2 rounds × 3 sides × 2 rows
        Assert.True(File.Exists(Path.Combine(run.Out, "kcache.tgz")), "main's kernel-cache entries come back");
    }

    [Fact]
    public async Task Without_a_variant_the_script_refuses_with_its_usage()
    {
        var run = await RunScript();
        Assert.Equal(2, run.Exit);
        Assert.Contains("usage: ab-defines.sh", run.Output);
    }

    private Task<BenchScriptRunner.Result> RunScript(params string[] arguments) =>
        _scripts.RunAsync("bench/ab-defines.sh", ["bash", "python3"], (start, work) =>
        {
            start.Environment["RUNNER"] = "bash " + BenchScriptRunner.Stub("ab_defines_stub_runner.sh");
            start.Environment["SAGE_CUDA_CACHE"] = Path.Combine(work, "cache");
        }, arguments);
}
