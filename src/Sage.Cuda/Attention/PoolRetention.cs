using System.Runtime.InteropServices;
using Sage.Cuda.Interop;

namespace Sage.Cuda;

/// <summary>
/// Opt-in (<see cref="EnvironmentVariable"/> = 1): raises the release threshold of the device's default memory pool, the
/// pool the stream-ordered per-call buffers come from (cuMemAllocAsync), so that freed memory stays in the pool across
/// synchronisations instead of going back to the driver. Why: with the driver's default threshold (0) every
/// synchronisation trims the pool, and the next call maps its pre-processing buffers afresh; with short sequences that
/// mapping is a visible part of the end-to-end time. The cost is that up to the largest call's scratch stays reserved
/// by the process, as with PyTorch's caching allocator, and the leak tests (which compare free device memory) would need
/// to trim the pool: hence opt-in. Measured on the H100: e2e +8 % at N = 1K and +7 % at N = 4K (d = 128, B = 4, H = 32),
/// kernel time unchanged (docs/results/kernel-speed-2026-11-25.md, session 2).
/// </summary>
internal static unsafe partial class PoolRetention
{
    /// <summary>Set to 1 to keep freed pool memory (release threshold = 2^64 − 1).</summary>
    public const string EnvironmentVariable = "SAGE_MEMPOOL_RETAIN";

    private const int ReleaseThresholdAttribute = 4; // CU_MEMPOOL_ATTR_RELEASE_THRESHOLD (cuuint64_t)

    [LibraryImport(CuDriver.LibraryName)] private static partial CuResult cuDeviceGetDefaultMemPool(nint* pool, int device);
    [LibraryImport(CuDriver.LibraryName)] private static partial CuResult cuMemPoolSetAttribute(nint pool, int attribute, void* value);

    /// <summary>Applies the opt-in to the device of <paramref name="context"/>; does nothing unless it is set.</summary>
    public static void ApplyIfRequested(CudaContext context)
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) != "1") return;
        NativeLibraryResolver.EnsureRegistered();
        context.MakeCurrent();
        int device;
        CudaCheck.ThrowIfFailed(CuDriver.cuDeviceGet(&device, context.Device.Ordinal));
        nint pool;
        CudaCheck.ThrowIfFailed(cuDeviceGetDefaultMemPool(&pool, device));
        ulong threshold = ulong.MaxValue;
        CudaCheck.ThrowIfFailed(cuMemPoolSetAttribute(pool, ReleaseThresholdAttribute, &threshold));
    }
}
