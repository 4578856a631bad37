using System.Diagnostics;

namespace Sage.Cuda;

/// <summary>
/// Runs the CUDA Toolkit's <c>cuobjdump</c> on a cubin (as NVRTC produced it for <see cref="KernelCompiler"/>) and
/// summarises every kernel's SASS (<see cref="SassText"/>). Looks in $CUDA_HOME/bin, $CUDA_PATH/bin, /usr/local/cuda/bin
/// and the PATH, in that order.
/// </summary>
public sealed class SassDisassembler
{
    private SassDisassembler(string executable) => Executable = executable;

    /// <summary>The cuobjdump that runs.</summary>
    public string Executable { get; }

    /// <summary>Finds cuobjdump, or throws <see cref="CudaUnavailableException"/> listing every place tried.</summary>
    public static SassDisassembler Locate()
    {
        var tried = new List<string>();
        foreach (string folder in CandidateFolders())
        {
            string path = Path.Combine(folder, "cuobjdump");
            if (File.Exists(path)) return new SassDisassembler(path);
            tried.Add($"{path}: not found");
        }
        throw new CudaUnavailableException(CudaComponent.Disassembler,
            "cuobjdump (CUDA Toolkit) was not found; set CUDA_HOME to the toolkit's folder.", tried);
    }

    private static IEnumerable<string> CandidateFolders()
    {
        foreach (string variable in new[] { "CUDA_HOME", "CUDA_PATH" })
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } root) yield return Path.Combine(root, "bin");
        yield return "/usr/local/cuda/bin";
        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            yield return folder;
    }

    /// <summary>The kernels of <paramref name="compiled"/> (a cubin), counted by opcode, with registers and local memory.</summary>
    public IReadOnlyList<SassFunctionSummary> Summarise(CompiledKernel compiled)
    {
        var (sass, usage) = Disassemble(compiled);
        return SassText.Summarise(sass, usage);
    }

    /// <summary>
    /// The text of <c>cuobjdump -sass</c> and of <c>cuobjdump -res-usage</c> for <paramref name="compiled"/> (a cubin), for
    /// <see cref="SassText"/>.
    /// </summary>
    public (string Sass, string ResourceUsage) Disassemble(CompiledKernel compiled)
    {
        ArgumentNullException.ThrowIfNull(compiled);
        if (compiled.Kind != KernelImageKind.Cubin)
            throw new ArgumentException($"{compiled.ProgramName} was compiled to {compiled.Kind} for {compiled.Architecture}; SASS needs a cubin.", nameof(compiled));
        string file = Path.Combine(Path.GetTempPath(), $"sage-{compiled.CacheKey[..16]}-{Environment.ProcessId}.cubin");
        File.WriteAllBytes(file, compiled.Image);
        try
        {
            return (Run("-sass", file), Run("-res-usage", file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private string Run(string option, string file)
    {
        var start = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(option);
        start.ArgumentList.Add(file);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{Executable} {option} {file}: the process did not start.");
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Executable} {option} {file} exited with {process.ExitCode}: {stderr.Result.Trim()}");
        return stdout;
    }
}
