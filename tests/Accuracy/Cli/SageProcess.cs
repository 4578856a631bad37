using System.Diagnostics;

namespace Sage.Accuracy.Tests.Cli;

/// <summary>Runs the built `sage` (sage.dll beside the test assembly) as a separate process, as a user would.</summary>
internal static class SageProcess
{
    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "sage.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
