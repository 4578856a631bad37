using Sage.Cuda.Interop;

namespace Sage.Cuda;

/// <summary>
/// This thread's stream-capture mode set to relaxed until disposed, then restored (cuThreadExchangeStreamCaptureMode).
/// Why: loading a module is one of the calls the driver refuses while a stream is captured in global mode, or in
/// thread-local mode by this thread (CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, and the capture is invalidated), and a
/// caller's call inside its own capture may be the first to launch a kernel, which <see cref="SelectedKernels"/> then
/// loads (<see cref="CudaModule"/> loads every module in this scope). A module load queues nothing on any stream, so the
/// capture records the same work either way.
/// </summary>
internal readonly unsafe struct RelaxedCaptureScope : IDisposable
{
    private readonly CuStreamCaptureMode _previous;

    private RelaxedCaptureScope(CuStreamCaptureMode previous) => _previous = previous;

    public static RelaxedCaptureScope Enter()
    {
        var mode = CuStreamCaptureMode.Relaxed;
        CudaCheck.ThrowIfFailed(CuDriver.cuThreadExchangeStreamCaptureMode(&mode));
        return new RelaxedCaptureScope(mode);
    }

    public void Dispose()
    {
        var mode = _previous;
        CudaCheck.ThrowIfFailed(CuDriver.cuThreadExchangeStreamCaptureMode(&mode));
    }
}
