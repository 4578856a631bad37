using Sage.Cuda.Handles;
using Sage.Cuda.Interop;

namespace Sage.Cuda;

/// <summary>
/// A CUDA stream. Created blocking (flags 0): it synchronises with the legacy default stream, so the
/// synchronous copies of <see cref="DeviceBuffer{T}"/> see the results of kernels launched on it.
/// </summary>
public sealed unsafe class CudaStream : IDisposable
{
    private readonly StreamHandle handle;

    private CudaStream(CudaContext context, StreamHandle handle)
    {
        Context = context;
        this.handle = handle;
    }

    public CudaContext Context { get; }

    internal nint RawHandle
    {
        get
        {
            ObjectDisposedException.ThrowIf(handle.IsClosed, this);
            return handle.DangerousGetHandle();
        }
    }

    public static CudaStream Create(CudaContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.MakeCurrent();
        nint stream;
        CudaCheck.ThrowIfFailed(CuDriver.cuStreamCreate(&stream, 0));
        return new CudaStream(context, new StreamHandle(context.Handle, stream));
    }

    /// <summary>Waits for everything queued on this stream.</summary>
    public void Synchronize()
    {
        Context.MakeCurrent();
        CudaCheck.ThrowIfFailed(CuDriver.cuStreamSynchronize(RawHandle));
    }

    public void Dispose() => handle.Dispose();
}
