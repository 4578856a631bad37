namespace Sage.Cuda;

/// <summary>
/// NVRTC failed. For a compilation error the message holds the program name, the error name, the options
/// and the complete compiler log (never truncated: the first error is often far from the one that matters).
/// </summary>
public sealed class NvrtcException : Exception
{
    public NvrtcException(string message, string errorName, string log, IReadOnlyList<string> options)
        : base(message)
    {
        ErrorName = errorName;
        Log = log;
        Options = options;
    }

    /// <summary>The nvrtcResult name, e.g. NVRTC_ERROR_COMPILATION.</summary>
    public string ErrorName { get; }

    /// <summary>The full NVRTC program log (empty for failures outside compilation).</summary>
    public string Log { get; }

    /// <summary>The options the program was compiled with.</summary>
    public IReadOnlyList<string> Options { get; }

    internal static NvrtcException CompilationFailed(string programName, string errorName, string log, IReadOnlyList<string> options) =>
        new($"NVRTC could not compile '{programName}': {errorName}\noptions: {string.Join(' ', options)}\nlog:\n{log}",
            errorName, log, options);
}
