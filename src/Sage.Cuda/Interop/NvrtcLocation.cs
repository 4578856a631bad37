namespace Sage.Cuda.Interop;

/// <summary>Where NVRTC was found: the loaded handle, what was loaded (a path, or a bare name for the loader), and its folder if known.</summary>
internal sealed record NvrtcLocation(nint Handle, string LoadedFrom, string? Directory);
