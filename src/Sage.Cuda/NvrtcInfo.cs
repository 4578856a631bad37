using Sage.Cuda.Interop;

namespace Sage.Cuda;

/// <summary>The NVRTC this process compiles kernels with (for `sage info` and bug reports).</summary>
/// <param name="Version">"13.0" style version.</param>
/// <param name="LoadedFrom">The path (or loader name) the library was loaded from.</param>
/// <param name="SupportedArchitectures">Architectures NVRTC can emit machine code for (75, 80, 90, ...).</param>
public sealed record NvrtcInfo(string Version, string LoadedFrom, IReadOnlyList<int> SupportedArchitectures)
{
    /// <summary>Locates and loads NVRTC; false with the reason (naming every place tried) when it cannot.</summary>
    public static bool TryGet(out NvrtcInfo? info, out string reason)
    {
        try
        {
            var location = NvrtcLibrary.EnsureLoaded();
            info = new NvrtcInfo(NvrtcLibrary.Version, location.LoadedFrom, NvrtcLibrary.SupportedArchitectures);
            reason = "";
            return true;
        }
        catch (CudaUnavailableException e)
        {
            info = null;
            reason = e.Message;
            return false;
        }
    }
}
