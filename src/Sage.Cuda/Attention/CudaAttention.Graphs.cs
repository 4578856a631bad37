namespace Sage.Cuda;

// Graph replay of repeated device-level calls: the host's enqueueing is part of every call's time at short sequences
// (H100, 2K causal d = 128: 17-24 µs of a 320 µs call, about 5-8 %, session 45), and a graph costs one launch.
public sealed partial class CudaAttention
{
    /// <summary>
    /// Environment variable: unset, empty or "on" replays repeated device-level calls from a captured graph
    /// (<see cref="GraphReplay"/>); "off" queues every call's launches directly.
    /// </summary>
    public const string GraphReplayEnvironmentVariable = "SAGE_GRAPHS";

    /// <summary>Graphs kept per instance (the least recently used one goes first): with <see cref="GraphWorkspaceLimit"/>, at most 1 GiB.</summary>
    public const int GraphCapacity = 4;

    /// <summary>
    /// Most bytes of intermediate buffers a kept graph may hold (256 MiB: the 2K d = 128 call at B = 4, H = 32 takes about
    /// 101 MB). Larger calls run directly: they last a millisecond or more, where the host's enqueueing is a small share.
    /// </summary>
    public const long GraphWorkspaceLimit = 256L << 20;

    /// <summary>Recent call keys remembered per instance, to recognise a repeated call.</summary>
    public const int SeenCallCapacity = 32;

    private readonly Lock _graphGate = new();
    private readonly RepeatedCallGraphs<AttentionCallKey, CapturedCall> _graphs = new(GraphCapacity, SeenCallCapacity);
    private CudaStream? _captureStream;
    private GraphReplayCounts _graphCounts;
    private string? _lastRefusal;

    /// <summary>
    /// True (the default, <see cref="GraphReplayEnvironmentVariable"/>): a device-level call whose problem, options,
    /// tensors, LSE buffer and schedule equal those of one of the last <see cref="SeenCallCapacity"/> calls is recorded
    /// once as a CUDA graph and replayed from then on: one driver launch per call instead of an allocation, two or three
    /// kernel launches (with their tensor maps) and a release. The graph queues the same kernels with the same arguments
    /// in the same order, so the bits are the same (GraphReplayTests). Its intermediate buffers live in a workspace the
    /// graph keeps (device memory held while it is kept: <see cref="GraphWorkspaceBytes"/>, at most
    /// <see cref="GraphWorkspaceLimit"/> per graph and <see cref="GraphCapacity"/> graphs; <see cref="ClearGraphs"/>
    /// returns it). Replays of one graph run one after another whatever their streams, so they never share the workspace.
    /// A first sighting runs directly, so callers whose buffers change every call never pay for a capture. Calls without
    /// query rows never replay, nor does the host-tensor <c>Run</c>, nor a call on a stream the caller is capturing (its
    /// launches go into the caller's graph as they are).
    /// </summary>
    public bool GraphReplay { get; set; } = GraphReplaySelected(Environment.GetEnvironmentVariable(GraphReplayEnvironmentVariable));

    internal static bool GraphReplaySelected(string? value) =>
        ScheduleSwitch.Select(GraphReplayEnvironmentVariable, value, ("on", true), ("off", false));

    /// <summary>How device-level calls have run so far: directly, captured, replayed, or refused a graph.</summary>
    public GraphReplayCounts GraphReplays
    {
        get { lock (_graphGate) return _graphCounts; }
    }

    /// <summary>Why the last refused capture was refused (the driver's message, or a workspace over the limit), or null.</summary>
    public string? LastGraphRefusal
    {
        get { lock (_graphGate) return _lastRefusal; }
    }

    /// <summary>Bytes of intermediate buffers the kept graphs hold.</summary>
    public long GraphWorkspaceBytes
    {
        get { lock (_graphGate) return _graphs.Graphs.Sum(g => g.WorkspaceBytes); }
    }

    /// <summary>Graphs kept now.</summary>
    public int GraphCount
    {
        get { lock (_graphGate) return _graphs.Count; }
    }

    /// <summary>
    /// Disposes the kept graphs and forgets the recent calls. Their workspaces return to the memory pool in stream order,
    /// after their last replays; the host does not wait.
    /// </summary>
    public void ClearGraphs()
    {
        lock (_graphGate) _graphs.Clear();
    }

    /// <summary>
    /// Runs the call of <paramref name="key"/> from its graph when there is one or when it repeats (capturing it first),
    /// and says whether it did; false: the caller queues it directly. A capture or instantiation the driver refuses (a
    /// <see cref="CudaException"/>), or a workspace over <see cref="GraphWorkspaceLimit"/>, marks the key refused, counts
    /// it (<see cref="GraphReplayCounts.Refused"/>) and keeps the reason (<see cref="LastGraphRefusal"/>); the call then
    /// runs directly, where an error that is not the graph's surfaces as usual. Other exceptions pass through.
    /// </summary>
    private bool Replayed(AttentionCallKey key, CudaStream? stream)
    {
        // A caller capturing its own graph records the direct launches, with their own allocations: our graph in theirs
        // would use a workspace that we release when we drop the graph, while theirs may still run.
        if (CudaStream.IsCapturing(_context, stream))
        {
            lock (_graphGate) _graphCounts = _graphCounts with { Direct = _graphCounts.Direct + 1 };
            return false;
        }
        lock (_graphGate) // one capture at a time on the capture stream; launches of one graph must not race
        {
            switch (_graphs.Next(key, out var graph))
            {
                case GraphStep.Replay:
                    graph!.Launch(stream);
                    _graphCounts = _graphCounts with { Replayed = _graphCounts.Replayed + 1 };
                    return true;
                case GraphStep.Capture:
                    CapturedCall? captured;
                    try
                    {
                        captured = Capture(key, out string? tooLarge);
                        if (captured is null)
                        {
                            Refuse(key, tooLarge!);
                            return false;
                        }
                    }
                    catch (CudaException e)
                    {
                        // Whatever the driver refused, the call still runs directly (where a real error surfaces again).
                        Refuse(key, e.Message);
                        return false;
                    }
                    try
                    {
                        captured.Launch(stream);
                    }
                    catch (CudaException e)
                    {
                        // A graph that cannot launch is not kept: its call runs directly from now on.
                        captured.Dispose();
                        Refuse(key, e.Message);
                        return false;
                    }
                    _graphs.Add(key, captured);
                    _graphCounts = _graphCounts with { Captured = _graphCounts.Captured + 1 };
                    return true;
                default:
                    _graphCounts = _graphCounts with { Direct = _graphCounts.Direct + 1 };
                    return false;
            }
        }
    }

    private void Refuse(AttentionCallKey key, string reason)
    {
        _graphs.Refuse(key);
        _lastRefusal = reason;
        _graphCounts = _graphCounts with { Refused = _graphCounts.Refused + 1, Direct = _graphCounts.Direct + 1 };
    }

    /// <summary>
    /// Captures the call of <paramref name="key"/> with its intermediate buffers in a workspace of its own: a rehearsal
    /// capture measures what the call allocates, the workspace is allocated (stream-ordered, then waited for once, so
    /// every stream may use it), and the real capture carves the same allocations out of it. Null, with the reason, when
    /// the workspace would pass <see cref="GraphWorkspaceLimit"/>.
    /// </summary>
    private CapturedCall? Capture(AttentionCallKey key, out string? tooLarge)
    {
        tooLarge = null;
        var captureStream = _captureStream ??= CudaStream.CreateNonBlocking(_context);
        void EnqueueCall(CudaStream s) => Enqueue(key.Problem, key.Options, key.Q, key.K, key.V, key.Output, key.LsePointer, s);
        var measured = GraphWorkspace.Measuring();
        captureStream.CaptureWorkspace = measured;
        try
        {
            CudaGraph.Rehearse(captureStream, EnqueueCall);
        }
        finally
        {
            captureStream.CaptureWorkspace = null;
        }
        if (measured.Bytes > GraphWorkspaceLimit)
        {
            tooLarge = $"the call's intermediate buffers take {measured.Bytes} bytes, more than a graph may keep ({GraphWorkspaceLimit})";
            return null;
        }
        var workspace = DeviceBuffer<byte>.AllocateStreamOrdered(_context, measured.Bytes, captureStream);
        CudaEvent? done = null;
        try
        {
            captureStream.Synchronize(); // the pool's memory, usable from every stream from here on
            done = CudaEvent.CreateForOrdering(_context);
            captureStream.CaptureWorkspace = GraphWorkspace.Over(workspace);
            CudaGraph graph;
            try
            {
                graph = CudaGraph.Capture(captureStream, EnqueueCall);
            }
            finally
            {
                captureStream.CaptureWorkspace = null;
            }
            return new CapturedCall(graph, workspace, done, captureStream);
        }
        catch
        {
            workspace.Dispose();
            done?.Dispose();
            throw;
        }
    }

    private void DisposeGraphs()
    {
        lock (_graphGate)
        {
            _graphs.Dispose();
            _captureStream?.Dispose();
            _captureStream = null;
        }
    }
}
