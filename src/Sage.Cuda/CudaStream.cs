using Sage.Cuda.Handles;
using Sage.Cuda.Interop;

namespace Sage.Cuda;

/// <summary>
/// A CUDA stream: one this library created, either blocking (<see cref="Create"/>, flags 0: it synchronises with the
/// legacy default stream, so the synchronous copies of <see cref="DeviceBuffer{T}"/> see the results of kernels launched
/// on it) or non-blocking (<see cref="CreateNonBlocking"/>: independent of the legacy default stream), or a stream another
/// framework owns (<see cref="FromHandle"/>: borrowed, never destroyed here).
/// </summary>
public sealed unsafe class CudaStream : IDisposable
{
    private readonly StreamHandle? handle;   // null for a borrowed stream
    private readonly nint borrowed;
    private bool borrowedDisposed;

    private CudaStream(CudaContext context, StreamHandle? handle, nint borrowed)
    {
        Context = context;
        this.handle = handle;
        this.borrowed = borrowed;
    }

    public CudaContext Context { get; }

    /// <summary>True for a stream that another owner created (<see cref="FromHandle"/>).</summary>
    public bool IsBorrowed => handle is null;

    /// <summary>The CUstream handle.</summary>
    public nint Handle => RawHandle;

    internal nint RawHandle
    {
        get
        {
            if (handle is null)
            {
                ObjectDisposedException.ThrowIf(borrowedDisposed, this);
                return borrowed;
            }
            ObjectDisposedException.ThrowIf(handle.IsClosed, this);
            return handle.DangerousGetHandle();
        }
    }

    public static CudaStream Create(CudaContext context) => CreateWithFlags(context, 0);

    /// <summary>
    /// A stream created with CU_STREAM_NON_BLOCKING: its work neither waits for nor holds up work on the legacy default
    /// stream (stream 0), which other code in the process may use at any time. Use it where an interval must contain
    /// only this stream's work (event timing). The synchronous copies of <see cref="DeviceBuffer{T}"/> run on the legacy
    /// stream and therefore do not wait for its kernels: synchronise the stream (or an event recorded on it) first.
    /// </summary>
    public static CudaStream CreateNonBlocking(CudaContext context) => CreateWithFlags(context, CuStreamNonBlocking);

    private const uint CuStreamNonBlocking = 0x1; // CU_STREAM_NON_BLOCKING

    /// <summary>An owned stream made by cuStreamCreate with <paramref name="flags"/> in <paramref name="context"/>.</summary>
    private static CudaStream CreateWithFlags(CudaContext context, uint flags)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.MakeCurrent();
        nint stream;
        CudaCheck.ThrowIfFailed(CuDriver.cuStreamCreate(&stream, flags));
        return new CudaStream(context, new StreamHandle(context.Handle, stream), 0);
    }

    /// <summary>
    /// Wraps a CUstream created elsewhere (another framework's, e.g. PyTorch's current stream) in <paramref name="context"/>,
    /// without taking ownership: Dispose forgets it, the owner destroys it. The caller keeps the stream alive while work
    /// queued through this object may still run. Handle 0 is the legacy default stream.
    /// </summary>
    public static CudaStream FromHandle(CudaContext context, nint stream)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new CudaStream(context, null, stream);
    }

    /// <summary>
    /// While set (by the owner of a capture on this stream), stream-ordered allocations queued on this stream come from
    /// this workspace (<see cref="GraphWorkspace"/>) instead of the memory pool.
    /// </summary>
    internal GraphWorkspace? CaptureWorkspace { get; set; }

    /// <summary>Makes work queued on this stream from now on wait for the work before <paramref name="event"/>'s last record.</summary>
    internal void Wait(CudaEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        Context.MakeCurrent();
        CudaCheck.ThrowIfFailed(CuDriver.cuStreamWaitEvent(RawHandle, @event.RawHandle, 0));
        GC.KeepAlive(@event);
    }

    /// <summary>
    /// True while <paramref name="stream"/> (null: the legacy default stream) is being captured into a graph, by this
    /// library or by the caller; also when the driver cannot tell (the legacy stream while a blocking stream is captured).
    /// </summary>
    internal static bool IsCapturing(CudaContext context, CudaStream? stream)
    {
        context.MakeCurrent();
        CuStreamCaptureStatus status;
        CuResult result = CuDriver.cuStreamIsCapturing(stream?.RawHandle ?? 0, &status);
        GC.KeepAlive(stream);
        return result != CuResult.CUDA_SUCCESS || status != CuStreamCaptureStatus.None;
    }

    /// <summary>Waits for everything queued on this stream.</summary>
    public void Synchronize()
    {
        Context.MakeCurrent();
        CudaCheck.ThrowIfFailed(CuDriver.cuStreamSynchronize(RawHandle));
    }

    public void Dispose()
    {
        if (handle is null) borrowedDisposed = true;
        else handle.Dispose();
    }
}
