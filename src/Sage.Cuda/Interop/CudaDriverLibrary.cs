using System.Runtime.InteropServices;

namespace Sage.Cuda.Interop;

/// <summary>
/// Loads libcuda.so.1 and runs cuInit once per process. The outcome, success or the reason for failure, is
/// remembered: cuInit's result is sticky in the driver too, so retrying would only repeat the same answer.
/// </summary>
internal static unsafe class CudaDriverLibrary
{
    private static readonly Lock Gate = new();
    private static nint handle;
    private static CudaUnavailableException? failure;
    private static bool initialized;

    /// <summary>The loaded driver, or 0 before a successful load (lets error formatting work without a driver).</summary>
    public static nint HandleOrZero => Volatile.Read(ref handle);

    public static bool IsLoaded => HandleOrZero != 0;

    /// <summary>Loads the driver and initialises it; throws <see cref="CudaUnavailableException"/> when impossible.</summary>
    public static void EnsureInitialized()
    {
        if (Volatile.Read(ref initialized)) return;
        lock (Gate)
        {
            if (initialized) return;
            if (failure is not null) throw failure;
            try
            {
                Load();
                Initialize();
                Volatile.Write(ref initialized, true);
            }
            catch (CudaUnavailableException e)
            {
                failure = e;
                throw;
            }
        }
    }

    private static void Load()
    {
        try
        {
            Volatile.Write(ref handle, NativeLibrary.Load(CuDriver.LibraryName));
        }
        catch (DllNotFoundException e)
        {
            string ldPath = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "(unset)";
            throw new CudaUnavailableException(
                CudaComponent.Driver,
                $"no CUDA driver: {CuDriver.LibraryName} could not be loaded ({LoaderMessage.Shorten(e.Message)}). "
                + $"Looked in the loader path: LD_LIBRARY_PATH={ldPath}, the ld.so cache and the system folders. "
                + "Install the NVIDIA driver, or run where one is installed.",
                [$"{CuDriver.LibraryName} via the loader path (LD_LIBRARY_PATH={ldPath}, /etc/ld.so.cache, /lib, /usr/lib)"],
                e);
        }
    }

    private static void Initialize()
    {
        CuResult result = CuDriver.cuInit(0);
        if (result == CuResult.CUDA_SUCCESS) return;
        string visible = Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES") ?? "(unset)";
        string what = $"cuInit(0) returned {CudaErrorText.Name(result)} ({CudaErrorText.Description(result)})";
        throw result == CuResult.CUDA_ERROR_NO_DEVICE
            ? new CudaUnavailableException(
                CudaComponent.Device,
                $"no CUDA device: {what}; CUDA_VISIBLE_DEVICES={visible}.",
                [$"devices visible to the driver (CUDA_VISIBLE_DEVICES={visible})"])
            : new CudaUnavailableException(
                CudaComponent.Driver,
                $"CUDA driver unusable: {what}.",
                [CuDriver.LibraryName]);
    }
}
