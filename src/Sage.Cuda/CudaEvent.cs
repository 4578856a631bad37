using Sage.Cuda.Handles;
using Sage.Cuda.Interop;

namespace Sage.Cuda;

/// <summary>A CUDA event with timing enabled, for measuring device time between two points of a stream.</summary>
public sealed unsafe class CudaEvent : IDisposable
{
    private readonly EventHandle handle;

    private CudaEvent(CudaContext context, EventHandle handle)
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

    public static CudaEvent Create(CudaContext context) => CreateWithFlags(context, 0);

    /// <summary>An event without timing (CU_EVENT_DISABLE_TIMING), for ordering only: cheaper to record and wait on.</summary>
    internal static CudaEvent CreateForOrdering(CudaContext context) => CreateWithFlags(context, CuEventDisableTiming);

    private const uint CuEventDisableTiming = 0x2;

    private static CudaEvent CreateWithFlags(CudaContext context, uint flags)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.MakeCurrent();
        nint @event;
        CudaCheck.ThrowIfFailed(CuDriver.cuEventCreate(&@event, flags));
        return new CudaEvent(context, new EventHandle(context.Handle, @event));
    }

    /// <summary>Records the event on <paramref name="stream"/> (null: the legacy default stream).</summary>
    public void Record(CudaStream? stream = null)
    {
        Context.MakeCurrent();
        CudaCheck.ThrowIfFailed(CuDriver.cuEventRecord(RawHandle, stream?.RawHandle ?? 0));
        GC.KeepAlive(stream);
    }

    /// <summary>Waits until the work before the recorded point has finished.</summary>
    public void Synchronize()
    {
        Context.MakeCurrent();
        CudaCheck.ThrowIfFailed(CuDriver.cuEventSynchronize(RawHandle));
    }

    /// <summary>
    /// True once the work before the recorded point has finished (cuEventQuery: CUDA_SUCCESS), false while it is
    /// pending (CUDA_ERROR_NOT_READY); any other result throws. Does not wait.
    /// </summary>
    public bool IsComplete
    {
        get
        {
            Context.MakeCurrent();
            CuResult result = CuDriver.cuEventQuery(RawHandle);
            if (result == CuResult.CUDA_ERROR_NOT_READY) return false;
            CudaCheck.ThrowIfFailed(result);
            return true;
        }
    }

    /// <summary>Device time from <paramref name="start"/> to <paramref name="end"/> in milliseconds (about 0.5 µs resolution); waits for <paramref name="end"/>.</summary>
    public static float ElapsedMilliseconds(CudaEvent start, CudaEvent end)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(end);
        end.Synchronize();
        float milliseconds;
        CudaCheck.ThrowIfFailed(CuDriver.cuEventElapsedTime(&milliseconds, start.RawHandle, end.RawHandle));
        return milliseconds;
    }

    public void Dispose() => handle.Dispose();
}
