using System.Runtime.InteropServices;

namespace Sage.Cuda.Interop;

/// <summary>
/// NVRTC entry points. The library name is a logical one: <see cref="NativeLibraryResolver"/> maps it to the
/// libnvrtc.so.* that <see cref="NvrtcLibrary"/> located (CUDA_HOME, CUDA_PATH, /usr/local/cuda*, loader path).
/// Callers go through <see cref="NvrtcLibrary.EnsureLoaded"/> first, so a missing NVRTC surfaces as a
/// <see cref="CudaUnavailableException"/> naming every place tried, never as a bare DllNotFoundException.
/// </summary>
internal static unsafe partial class Nvrtc
{
    public const string LibraryName = "sage-nvrtc";

    static Nvrtc() => NativeLibraryResolver.EnsureRegistered();

    [LibraryImport(LibraryName)] public static partial byte* nvrtcGetErrorString(NvrtcResult result);
    [LibraryImport(LibraryName)] public static partial NvrtcResult nvrtcVersion(int* major, int* minor);
    [LibraryImport(LibraryName)] public static partial NvrtcResult nvrtcGetNumSupportedArchs(int* count);
    [LibraryImport(LibraryName)] public static partial NvrtcResult nvrtcGetSupportedArchs(int* architectures);

    [LibraryImport(LibraryName)]
    public static partial NvrtcResult nvrtcCreateProgram(
        nint* program, byte* source, byte* name, int headerCount, byte** headers, byte** includeNames);
    [LibraryImport(LibraryName)] public static partial NvrtcResult nvrtcDestroyProgram(nint* program);
    [LibraryImport(LibraryName)] public static partial NvrtcResult nvrtcCompileProgram(nint program, int optionCount, byte** options);
    [LibraryImport(LibraryName)] public static partial NvrtcResult nvrtcGetProgramLogSize(nint program, nuint* size);
    [LibraryImport(LibraryName)] public static partial NvrtcResult nvrtcGetProgramLog(nint program, byte* log);
    [LibraryImport(LibraryName)] public static partial NvrtcResult nvrtcGetCUBINSize(nint program, nuint* size);
    [LibraryImport(LibraryName)] public static partial NvrtcResult nvrtcGetCUBIN(nint program, byte* cubin);
    [LibraryImport(LibraryName)] public static partial NvrtcResult nvrtcGetPTXSize(nint program, nuint* size);
    [LibraryImport(LibraryName)] public static partial NvrtcResult nvrtcGetPTX(nint program, byte* ptx);
}
