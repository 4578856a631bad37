using System.Runtime.InteropServices;
using Sage.Cuda.Interop;

namespace Sage.Cuda;

/// <summary>
/// On by default (<see cref="EnvironmentVariable"/> = 0 turns it off): raises the release threshold of the device's
/// default memory pool, the pool the stream-ordered per-call buffers come from (cuMemAllocAsync), so that freed memory
/// stays in the pool across synchronisations instead of going back to the driver. Why: with the driver's default
/// threshold (0) every synchronisation trims the pool, and the next call maps its pre-processing buffers afresh; with
/// short sequences that mapping is a visible part of the end-to-end time (measured on the H100 as an opt-in: e2e +8 % at
/// N = 1K and +7 % at N = 4K, d = 128, B = 4, H = 32, kernel time unchanged; docs/results/kernel-speed-2026-11-25.md).
/// The cost, as with PyTorch's caching allocator: up to the largest call's scratch stays reserved by the process (in
/// the device's default pool, which other cuMemAllocAsync users of the process share); <see cref="Trim"/> gives it back.
/// The leak tests trim before they compare free device memory, so a leaked buffer (never freed, hence not trimmable)
/// still shows.
/// </summary>
internal static unsafe partial class PoolRetention
{
    /// <summary>Set to 0 to keep the driver's release threshold (freed pool memory goes back at each synchronisation).</summary>
    public const string EnvironmentVariable = "SAGE_MEMPOOL_RETAIN";

    private const int ReleaseThresholdAttribute = 4; // CU_MEMPOOL_ATTR_RELEASE_THRESHOLD (cuuint64_t)

    [LibraryImport(CuDriver.LibraryName)] private static partial CuResult cuDeviceGetDefaultMemPool(nint* pool, int device);
    [LibraryImport(CuDriver.LibraryName)] private static partial CuResult cuMemPoolSetAttribute(nint pool, int attribute, void* value);
    [LibraryImport(CuDriver.LibraryName)] private static partial CuResult cuMemPoolTrimTo(nint pool, nuint minBytesToKeep);

    /// <summary>Whether the value of <see cref="EnvironmentVariable"/> asks for retention: anything but "0" does (unset included).</summary>
    public static bool IsRequested(string? value) => value?.Trim() != "0";

    /// <summary>Keeps freed memory in the default pool of the device of <paramref name="context"/>, unless opted out.</summary>
    public static void Apply(CudaContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!IsRequested(Environment.GetEnvironmentVariable(EnvironmentVariable))) return;
        ulong threshold = ulong.MaxValue;
        CudaCheck.ThrowIfFailed(cuMemPoolSetAttribute(DefaultPool(context), ReleaseThresholdAttribute, &threshold));
    }

    /// <summary>
    /// Releases the unused memory the default pool holds (cuMemPoolTrimTo(pool, 0)); memory still allocated stays.
    /// Call it after the work that freed the memory has completed (synchronise first).
    /// </summary>
    public static void Trim(CudaContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        CudaCheck.ThrowIfFailed(cuMemPoolTrimTo(DefaultPool(context), 0));
    }

    private static nint DefaultPool(CudaContext context)
    {
        NativeLibraryResolver.EnsureRegistered();
        context.MakeCurrent();
        int device;
        CudaCheck.ThrowIfFailed(CuDriver.cuDeviceGet(&device, context.Device.Ordinal));
        nint pool;
        CudaCheck.ThrowIfFailed(cuDeviceGetDefaultMemPool(&pool, device));
        return pool;
    }
}
