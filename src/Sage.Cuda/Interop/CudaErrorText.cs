using System.Runtime.InteropServices;

namespace Sage.Cuda.Interop;

/// <summary>
/// The name and description of a CUresult: from the driver (cuGetErrorName / cuGetErrorString) when it is
/// loaded, else from our own table, so an error is still named on a machine without a driver.
/// </summary>
internal static unsafe class CudaErrorText
{
    public static string Name(CuResult result)
    {
        if (CudaDriverLibrary.IsLoaded)
        {
            byte* name;
            if (CuDriver.cuGetErrorName(result, &name) == CuResult.CUDA_SUCCESS && name != null)
                return Marshal.PtrToStringUTF8((nint)name) ?? FallbackName(result);
        }
        return FallbackName(result);
    }

    public static string Description(CuResult result)
    {
        if (CudaDriverLibrary.IsLoaded)
        {
            byte* text;
            if (CuDriver.cuGetErrorString(result, &text) == CuResult.CUDA_SUCCESS && text != null)
                return Marshal.PtrToStringUTF8((nint)text) ?? "no description";
        }
        return "no description: the CUDA driver is not loaded";
    }

    internal static string FallbackName(CuResult result) =>
        Enum.IsDefined(result) ? result.ToString() : $"CUresult {(int)result}";
}
