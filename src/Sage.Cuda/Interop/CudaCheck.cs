using System.Runtime.CompilerServices;

namespace Sage.Cuda.Interop;

/// <summary>
/// Turns every non-success CUresult into a <see cref="CudaException"/> that names the failing call as written
/// at the call site (CallerArgumentExpression), the CUDA_ERROR_* name and the driver's description.
/// </summary>
internal static class CudaCheck
{
    public static void ThrowIfFailed(CuResult result, [CallerArgumentExpression(nameof(result))] string call = "")
    {
        if (result != CuResult.CUDA_SUCCESS) throw Failure(result, call);
    }

    /// <summary>The exception for a failed call, with optional context (sizes asked, names looked up).</summary>
    public static CudaException Failure(CuResult result, string call, string? detail = null) =>
        new((int)result, CudaErrorText.Name(result), CudaErrorText.Description(result), call, detail);
}
