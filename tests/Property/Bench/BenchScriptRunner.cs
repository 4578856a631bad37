using System.Diagnostics;

namespace Sage.Property.Tests.Bench;

/// <summary>
/// Runs a bench/ script the way the GPU machine would, but with stubs for its tools: in a fresh work folder (deleted on
/// <see cref="Dispose"/>), with OUT set to the folder's "out" (created), and skipping the calling test, saying so, when
/// a tool the script needs is not on PATH.
/// </summary>
internal sealed class BenchScriptRunner : IDisposable
{
    private readonly List<string> _workFolders = [];

    /// <summary>The script's exit code, its stdout and stderr together, its OUT folder and its work folder.</summary>
    public sealed record Result(int Exit, string Output, string Out, string Work);

    public void Dispose()
    {
        foreach (string folder in _workFolders) Directory.Delete(folder, recursive: true);
    }

    /// <summary>Path of a stub in tests/Property/Bench.</summary>
    public static string Stub(string name) => Path.Combine(RepositoryScripts.Root(), "tests", "Property", "Bench", name);

    /// <summary>
    /// Runs <paramref name="script"/> (relative to the repository root) with <paramref name="arguments"/>;
    /// <paramref name="configure"/> sets the stubs' environment, given the work folder.
    /// </summary>
    public async Task<Result> RunAsync(string script, string[] tools, Action<ProcessStartInfo, string> configure, params string[] arguments)
    {
        RepositoryScripts.SkipUnlessOnPath(script, tools);
        string work = Directory.CreateTempSubdirectory("sage-" + Path.GetFileNameWithoutExtension(script) + "-").FullName;
        _workFolders.Add(work);
        string output = Path.Combine(work, "out");
        Directory.CreateDirectory(output);
        var start = new ProcessStartInfo("bash") { WorkingDirectory = work };
        start.ArgumentList.Add(Path.Combine(RepositoryScripts.Root(), script));
        foreach (string a in arguments) start.ArgumentList.Add(a);
        start.Environment["OUT"] = output;
        configure(start, work);
        var (exit, stdout, stderr) = await RepositoryScripts.RunAsync(start, TimeSpan.FromMinutes(2));
        return new Result(exit, stdout + stderr, output, work);
    }
}
