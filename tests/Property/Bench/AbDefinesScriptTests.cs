using System.Diagnostics;
using Xunit;

namespace Sage.Property.Tests.Bench;

/// <summary>
/// bench/ab-defines.sh runs only on the GPU machine, where a broken script costs a device call: its logic (kernels of
/// each variant against main's, the bit-exact classes under each variant, the table of medians) runs here with a stub
/// in place of the staged tools (ab_defines_stub_runner.sh). Skipped, saying so, without bash or python3.
/// </summary>
public sealed class AbDefinesScriptTests : IDisposable
{
    private readonly List<string> _workFolders = [];

    public void Dispose()
    {
        foreach (string folder in _workFolders) Directory.Delete(folder, recursive: true);
    }

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

    private async Task<(int Exit, string Output, string Out)> RunScript(params string[] arguments)
    {
        RepositoryScripts.SkipUnlessOnPath("bench/ab-defines.sh", "bash", "python3");
        string root = RepositoryScripts.Root(), work = Directory.CreateTempSubdirectory("sage-ab-defines-").FullName;
        _workFolders.Add(work);
        string output = Path.Combine(work, "out"), cache = Path.Combine(work, "cache");
        Directory.CreateDirectory(output);
        var start = new ProcessStartInfo("bash") { WorkingDirectory = work };
        start.ArgumentList.Add(Path.Combine(root, "bench", "ab-defines.sh"));
        foreach (string a in arguments) start.ArgumentList.Add(a);
        start.Environment["RUNNER"] = "bash " + Path.Combine(root, "tests", "Property", "Bench", "ab_defines_stub_runner.sh");
        start.Environment["OUT"] = output;
        start.Environment["SAGE_CUDA_CACHE"] = cache;
        var (exit, stdout, stderr) = await RepositoryScripts.RunAsync(start, TimeSpan.FromMinutes(2));
        return (exit, stdout + stderr, output);
    }
}
