using Sage.Cuda.Handles;
using Sage.Cuda.Interop;

namespace Sage.Cuda;

/// <summary>
/// A device's primary context, retained for the life of this object. Several CudaContext objects for one
/// device share the same driver context (as the CUDA runtime does). Every operation of this library binds
/// the context to the calling thread itself, so callers need not call <see cref="MakeCurrent"/> unless they
/// mix in other CUDA code.
/// </summary>
public sealed unsafe class CudaContext : IDisposable
{
    private readonly PrimaryContextHandle handle;

    private CudaContext(PrimaryContextHandle handle, CudaDeviceInfo device)
    {
        this.handle = handle;
        Device = device;
    }

    /// <summary>The device this context runs on.</summary>
    public CudaDeviceInfo Device { get; }

    internal PrimaryContextHandle Handle => handle;

    /// <summary>
    /// Retains the primary context of device <paramref name="ordinal"/>. Throws <see cref="CudaUnavailableException"/>
    /// when there is no driver or no device, and <see cref="ArgumentOutOfRangeException"/> for an ordinal past the last device.
    /// </summary>
    public static CudaContext Create(int ordinal = 0)
    {
        CudaDriverLibrary.EnsureInitialized();
        int count;
        CudaCheck.ThrowIfFailed(CuDriver.cuDeviceGetCount(&count));
        if (count == 0)
            throw new CudaUnavailableException(CudaComponent.Device, "no CUDA device: the driver reports 0 devices", ["cuDeviceGetCount"]);
        if (ordinal < 0 || ordinal >= count)
            throw new ArgumentOutOfRangeException(nameof(ordinal), ordinal, $"device ordinal must be in [0, {count}); the driver sees {count} device(s)");

        var info = CudaDevice.Describe(ordinal);
        int device;
        CudaCheck.ThrowIfFailed(CuDriver.cuDeviceGet(&device, ordinal));
        nint context;
        CudaCheck.ThrowIfFailed(CuDriver.cuDevicePrimaryCtxRetain(&context, device));
        var created = new CudaContext(new PrimaryContextHandle(context, device), info);
        created.MakeCurrent();
        return created;
    }

    /// <summary>Makes this context current on the calling thread.</summary>
    public void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(handle.IsClosed, this);
        CudaCheck.ThrowIfFailed(CuDriver.cuCtxSetCurrent(handle.DangerousGetHandle()));
    }

    /// <summary>Waits for all work in this context; asynchronous kernel faults surface here as <see cref="CudaException"/>.</summary>
    public void Synchronize()
    {
        MakeCurrent();
        CudaCheck.ThrowIfFailed(CuDriver.cuCtxSynchronize());
    }

    /// <summary>Free and total device memory as the driver reports them now.</summary>
    public CudaMemoryInfo GetMemoryInfo()
    {
        MakeCurrent();
        nuint free, total;
        CudaCheck.ThrowIfFailed(CuDriver.cuMemGetInfo_v2(&free, &total));
        return new CudaMemoryInfo((long)free, (long)total);
    }

    /// <summary>Drops this object's retain; the driver context goes when every resource made in it is released too.</summary>
    public void Dispose() => handle.Dispose();
}
