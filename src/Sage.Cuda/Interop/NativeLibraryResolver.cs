using System.Reflection;
using System.Runtime.InteropServices;

namespace Sage.Cuda.Interop;

/// <summary>
/// Maps the logical library names of <see cref="CuDriver"/> and <see cref="Nvrtc"/> to the handles their
/// loaders obtained. Registered once per assembly (the runtime allows one resolver per assembly), from the
/// static constructors of the binding classes so it is in place before the first native call.
/// </summary>
internal static class NativeLibraryResolver
{
    private static readonly Lock Gate = new();
    private static bool registered;

    public static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (registered) return;
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);
            registered = true;
        }
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) => libraryName switch
    {
        Nvrtc.LibraryName => NvrtcLibrary.HandleOrZero,
        CuDriver.LibraryName => CudaDriverLibrary.HandleOrZero,
        _ => 0,
    };
}
