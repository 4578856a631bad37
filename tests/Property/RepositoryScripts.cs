using System.Diagnostics;
using Xunit;

namespace Sage.Property.Tests;

/// <summary>The repository's shell scripts as the tests run them: the checkout's root, and a process run to its end.</summary>
internal static class RepositoryScripts
{
    /// <summary>The folder holding SageAttention.sln above the test assembly.</summary>
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SageAttention.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No SageAttention.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>
    /// Skips the calling test, saying so, unless every one of <paramref name="tools"/> is on PATH: <paramref name="script"/>
    /// needs them.
    /// </summary>
    public static void SkipUnlessOnPath(string script, params string[] tools)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Where(d => d.Length > 0).ToArray();
        foreach (string tool in tools)
            if (!path.Any(d => File.Exists(Path.Combine(d, tool)))) Assert.Skip($"{tool} is not on PATH: {script} cannot run here.");
    }

    /// <summary>Starts <paramref name="start"/> with its output redirected and waits for it, at most <paramref name="limit"/>.</summary>
    public static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(ProcessStartInfo start, TimeSpan limit)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        using var process = Process.Start(start)!;
        var token = TestContext.Current.CancellationToken;
        var stdout = process.StandardOutput.ReadToEndAsync(token);
        var stderr = process.StandardError.ReadToEndAsync(token);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(limit);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
