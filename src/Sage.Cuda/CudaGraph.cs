using Sage.Cuda.Handles;
using Sage.Cuda.Interop;

namespace Sage.Cuda;

/// <summary>
/// Work recorded once by stream capture and replayed by one launch: an instantiated CUDA graph. What capture records is
/// what the work would have queued (kernels with their arguments, copied at capture, and their launch attributes, so a
/// programmatic dependent launch becomes a programmatic edge; stream-ordered allocations and releases, which become the
/// graph's own memory; memsets). One <see cref="Launch"/> then costs the host one driver call instead of one per step.
/// Launches of one graph run one after another whatever their streams (the driver orders each launch behind the
/// previous one), so work that reuses the graph's own memory never overlaps itself.
/// </summary>
public sealed unsafe class CudaGraph : IDisposable
{
    private readonly GraphExecHandle exec;

    private CudaGraph(CudaContext context, GraphExecHandle exec, int nodeCount)
    {
        Context = context;
        this.exec = exec;
        NodeCount = nodeCount;
    }

    public CudaContext Context { get; }

    /// <summary>Nodes the capture recorded (kernels, allocations, releases, memsets).</summary>
    public int NodeCount { get; }

    /// <summary>
    /// Records what <paramref name="enqueue"/> queues on <paramref name="captureStream"/> and instantiates it. Nothing
    /// runs during the capture. The capture is relaxed (CU_STREAM_CAPTURE_MODE_RELAXED): other threads' driver calls go
    /// on as usual, and so do this thread's calls that touch no stream (tensor maps, attributes). The stream must be
    /// one this library created: the legacy default stream cannot be captured. When <paramref name="enqueue"/> throws,
    /// the capture is ended and discarded and the exception passes through.
    /// </summary>
    public static CudaGraph Capture(CudaStream captureStream, Action<CudaStream> enqueue) =>
        Capture(captureStream, enqueue, CuStreamCaptureMode.Relaxed);

    /// <summary><see cref="Capture(CudaStream, Action{CudaStream})"/> in another capture mode (tests of callers' captures).</summary>
    internal static CudaGraph Capture(CudaStream captureStream, Action<CudaStream> enqueue, CuStreamCaptureMode mode)
    {
        var context = captureStream?.Context ?? throw new ArgumentNullException(nameof(captureStream));
        using var graph = Record(captureStream, enqueue, mode);
        nint raw = graph.DangerousGetHandle();
        nuint nodes = 0;
        CudaCheck.ThrowIfFailed(CuDriver.cuGraphGetNodes(raw, null, &nodes));
        nint instantiated;
        CuResult result = CuDriver.cuGraphInstantiateWithFlags(&instantiated, raw, 0);
        if (result != CuResult.CUDA_SUCCESS)
            throw CudaCheck.Failure(result, "cuGraphInstantiateWithFlags", $"a captured graph of {nodes} nodes");
        return new CudaGraph(context, new GraphExecHandle(context.Handle, instantiated), (int)nodes);
    }

    /// <summary>
    /// Records what <paramref name="enqueue"/> queues on <paramref name="captureStream"/>, as <see cref="Capture(CudaStream, Action{CudaStream})"/> does,
    /// and drops it: a dry run, for what the recording does on the host (the sizes it allocates).
    /// </summary>
    public static void Rehearse(CudaStream captureStream, Action<CudaStream> enqueue) =>
        Record(captureStream, enqueue, CuStreamCaptureMode.Relaxed).Dispose();

    private static GraphHandle Record(CudaStream captureStream, Action<CudaStream> enqueue, CuStreamCaptureMode mode)
    {
        ArgumentNullException.ThrowIfNull(captureStream);
        ArgumentNullException.ThrowIfNull(enqueue);
        if (captureStream.IsBorrowed)
            throw new ArgumentException("Capture records on a stream this library created (CudaStream.Create or CreateNonBlocking), not a borrowed one.",
                nameof(captureStream));
        var context = captureStream.Context;
        nint raw = captureStream.RawHandle;
        context.MakeCurrent();
        CudaCheck.ThrowIfFailed(CuDriver.cuStreamBeginCapture_v2(raw, mode));
        nint graph = 0;
        try
        {
            enqueue(captureStream);
        }
        catch
        {
            // End the capture so that the stream works again; what it recorded is dropped.
            if (CuDriver.cuStreamEndCapture(raw, &graph) == CuResult.CUDA_SUCCESS && graph != 0) CuDriver.cuGraphDestroy(graph);
            throw;
        }
        CuResult ended = CuDriver.cuStreamEndCapture(raw, &graph);
        GC.KeepAlive(captureStream);
        if (ended != CuResult.CUDA_SUCCESS)
            throw CudaCheck.Failure(ended, "cuStreamEndCapture",
                "a call during the capture could not be recorded (or work from outside joined the captured stream)");
        return new GraphHandle(context.Handle, graph);
    }

    /// <summary>Queues one replay on <paramref name="stream"/> (null: the legacy default stream) and returns.</summary>
    public void Launch(CudaStream? stream)
    {
        ObjectDisposedException.ThrowIf(exec.IsClosed, this);
        Context.MakeCurrent();
        CuResult result = CuDriver.cuGraphLaunch(exec.DangerousGetHandle(), stream?.RawHandle ?? 0);
        GC.KeepAlive(stream);
        if (result != CuResult.CUDA_SUCCESS) throw CudaCheck.Failure(result, "cuGraphLaunch", $"a graph of {NodeCount} nodes");
    }

    /// <summary>Destroys the graph; a replay still running completes first (the driver frees it then).</summary>
    public void Dispose() => exec.Dispose();
}
