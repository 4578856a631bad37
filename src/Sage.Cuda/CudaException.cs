namespace Sage.Cuda;

/// <summary>
/// A CUDA driver call failed. The message reads "&lt;call&gt; failed: CUDA_ERROR_X (&lt;driver's description&gt;)",
/// followed by context when the caller had some (for an allocation, the bytes asked).
/// </summary>
public sealed class CudaException : Exception
{
    public CudaException(int resultCode, string errorName, string description, string call, string? detail = null)
        : base(FormatMessage(errorName, description, call, detail))
    {
        ResultCode = resultCode;
        ErrorName = errorName;
        Description = description;
        Call = call;
        Detail = detail;
    }

    /// <summary>The CUresult value.</summary>
    public int ResultCode { get; }

    /// <summary>The CUresult name, e.g. CUDA_ERROR_OUT_OF_MEMORY.</summary>
    public string ErrorName { get; }

    /// <summary>The driver's description of the error.</summary>
    public string Description { get; }

    /// <summary>The failing call as written in our source.</summary>
    public string Call { get; }

    /// <summary>Context added by the caller, or null.</summary>
    public string? Detail { get; }

    internal static string FormatMessage(string errorName, string description, string call, string? detail) =>
        detail is null
            ? $"{call} failed: {errorName} ({description})"
            : $"{call} failed: {errorName} ({description}); {detail}";
}
