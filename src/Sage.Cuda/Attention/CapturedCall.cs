namespace Sage.Cuda;

/// <summary>
/// One kept graph of <see cref="CudaAttention.GraphReplay"/>: the instantiated graph, the workspace its kernels use on
/// every replay (<see cref="GraphWorkspace"/>), and an event recorded on the replay's stream right after each replay
/// (cuEventRecord, whose state a later cuStreamWaitEvent reads as of the call; the caller serialises replays and
/// disposal under one lock). Disposing it queues the workspace's release on the capture stream behind that event, so the
/// memory returns to the pool only after the last replay has finished, and the host waits for nothing.
/// </summary>
internal sealed class CapturedCall(CudaGraph graph, DeviceBuffer<byte> workspace, CudaEvent done, CudaStream releaseStream) : IDisposable
{
    private bool disposed;

    /// <summary>Bytes of the workspace this graph holds.</summary>
    public long WorkspaceBytes => workspace.SizeInBytes;

    public void Launch(CudaStream? stream)
    {
        graph.Launch(stream);
        done.Record(stream);
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        releaseStream.Wait(done);
        workspace.Dispose(); // cuMemFreeAsync on the capture stream, behind the wait
        graph.Dispose();     // a replay still running completes first
        done.Dispose();
    }
}
