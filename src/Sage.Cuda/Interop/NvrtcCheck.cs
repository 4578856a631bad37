using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Sage.Cuda.Interop;

/// <summary>Checks nvrtcResult values; failures outside compilation carry no log, only the call and the error name.</summary>
internal static unsafe class NvrtcCheck
{
    public static void ThrowIfFailed(NvrtcResult result, [CallerArgumentExpression(nameof(result))] string call = "")
    {
        if (result != NvrtcResult.NVRTC_SUCCESS)
            throw new NvrtcException($"{call} failed: {ErrorName(result)}", ErrorName(result), log: "", options: []);
    }

    public static string ErrorName(NvrtcResult result)
    {
        if (NvrtcLibrary.HandleOrZero != 0)
        {
            byte* text = Nvrtc.nvrtcGetErrorString(result);
            if (text != null) return Marshal.PtrToStringUTF8((nint)text) ?? result.ToString();
        }
        return Enum.IsDefined(result) ? result.ToString() : $"nvrtcResult {(int)result}";
    }
}
