using Xunit;

namespace Sage.Property.Tests.Bench;

/// <summary>
/// bench/ab-env.sh runs only on the GPU machine, where a broken script costs a device call: its rounds, its assignments
/// per side and its table of medians run here with a stub in place of the staged tool (ab_env_stub_runner.sh). Skipped,
/// saying so, without bash or python3.
/// </summary>
public sealed class AbEnvScriptTests : IDisposable
{
    private readonly BenchScriptRunner _scripts = new();

    public void Dispose() => _scripts.Dispose();

    [Fact]
    public async Task Each_value_of_one_variable_gets_its_medians_and_gain()
    {
        var run = await RunScript("-r", "2", "SAGE_PREPROCESS_K", "two-pass", "one-pass");
        Assert.True(run.Exit == 0, run.Output);
        string table = File.ReadAllText(Path.Combine(run.Out, "ab-env.txt"));
        Assert.Contains("| 128 | 2048 | no | 0.2000 / 0.5000 | 0.1500 / 0.4000 | +25.0 % |", table);
        Assert.Contains("| 128 | 2048 | yes | 0.2000 / 0.4000 | 0.2000 / 0.4000 | +0.0 % |", table);
        Assert.Equal(8, File.ReadAllLines(Path.Combine(run.Out, "ab-env.jsonl")).Length); // 2 rounds × 2 values × 2 rows
    }

    [Fact]
    public async Task With_env_a_side_takes_several_assignments()
    {
        var run = await RunScript("-r", "1", "env", "SAGE_A=1", "SAGE_A=1 SAGE_B=2");
        Assert.True(run.Exit == 0, run.Output);
        Assert.Contains("| 128 | 2048 | no | 0.2000 / 0.5000 | 0.1000 / 0.2500 | +100.0 % |",
            File.ReadAllText(Path.Combine(run.Out, "ab-env.txt")));
    }

    [Fact]
    public async Task A_failing_side_is_named_and_left_out_of_the_table()
    {
        var run = await RunScript("-r", "1", "SAGE_FAIL", "0", "1");
        Assert.Contains("SAGE_FAIL=1 round 1 failed (3)", run.Output);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(run.Out, "ab-env.jsonl")).Length); // only the side that ran
        Assert.Contains("nan / nan", File.ReadAllText(Path.Combine(run.Out, "ab-env.txt")));
    }

    [Fact]
    public async Task With_fewer_than_two_values_the_script_refuses_with_its_usage()
    {
        var run = await RunScript("SAGE_PREPROCESS_K", "one-pass");
        Assert.Equal(2, run.Exit);
        Assert.Contains("need at least two values of SAGE_PREPROCESS_K", run.Output);
    }

    private Task<BenchScriptRunner.Result> RunScript(params string[] arguments) =>
        _scripts.RunAsync("bench/ab-env.sh", ["bash", "python3"],
            (start, _) => start.Environment["RUNNER"] = "bash " + BenchScriptRunner.Stub("ab_env_stub_runner.sh"), arguments);
}
