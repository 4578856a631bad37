using Microsoft.Win32.SafeHandles;
using Sage.Cuda.Interop;

namespace Sage.Cuda.Handles;

/// <summary>
/// A driver resource that lives in a context (memory, module, stream, event). It keeps its context alive with
/// a SafeHandle reference and frees itself with that context pushed current, so release works from any thread,
/// the finalizer's included, without disturbing the calling thread's current context.
/// The handle is only constructed once the driver has created the resource, so a failed creation never
/// takes a context reference it would not give back.
/// </summary>
internal abstract class ContextBoundHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    private readonly PrimaryContextHandle context;

    protected ContextBoundHandle(PrimaryContextHandle context, nint value) : base(ownsHandle: true)
    {
        bool added = false;
        context.DangerousAddRef(ref added);
        this.context = context;
        SetHandle(value);
    }

    protected sealed override bool ReleaseHandle()
    {
        bool released;
        unsafe
        {
            bool pushed = CuDriver.cuCtxPushCurrent_v2(context.DangerousGetHandle()) == CuResult.CUDA_SUCCESS;
            released = Free(handle) == CuResult.CUDA_SUCCESS;
            if (pushed)
            {
                nint popped;
                CuDriver.cuCtxPopCurrent_v2(&popped);
            }
        }
        context.DangerousRelease();
        return released;
    }

    /// <summary>Frees the resource; called with its context current.</summary>
    protected abstract CuResult Free(nint value);
}

/// <summary>
/// Device memory. Plain memory (cuMemAlloc) is released with cuMemFree, which waits for the device; stream-ordered
/// memory (cuMemAllocAsync on <c>stream</c>) is released with cuMemFreeAsync on the same stream, queued after the work
/// that uses it, without waiting. If that stream is gone (a finalizer running late), cuMemFree releases it instead.
/// </summary>
internal sealed class DeviceMemoryHandle(PrimaryContextHandle context, ulong pointer, bool streamOrdered = false, nint stream = 0)
    : ContextBoundHandle(context, (nint)pointer)
{
    public ulong Pointer => (ulong)handle;

    public bool StreamOrdered => streamOrdered;

    protected override CuResult Free(nint value)
    {
        if (!streamOrdered) return CuDriver.cuMemFree_v2((ulong)value);
        var result = CuDriver.cuMemFreeAsync((ulong)value, stream);
        return result == CuResult.CUDA_SUCCESS ? result : CuDriver.cuMemFree_v2((ulong)value);
    }
}

internal sealed class CuModuleHandle(PrimaryContextHandle context, nint module) : ContextBoundHandle(context, module)
{
    protected override CuResult Free(nint value) => CuDriver.cuModuleUnload(value);
}

internal sealed class StreamHandle(PrimaryContextHandle context, nint stream) : ContextBoundHandle(context, stream)
{
    protected override CuResult Free(nint value) => CuDriver.cuStreamDestroy_v2(value);
}

internal sealed class EventHandle(PrimaryContextHandle context, nint @event) : ContextBoundHandle(context, @event)
{
    protected override CuResult Free(nint value) => CuDriver.cuEventDestroy_v2(value);
}

internal sealed class GraphHandle(PrimaryContextHandle context, nint graph) : ContextBoundHandle(context, graph)
{
    protected override CuResult Free(nint value) => CuDriver.cuGraphDestroy(value);
}

/// <summary>An executable graph. Destroying one that is still running is allowed: the driver frees it when it completes.</summary>
internal sealed class GraphExecHandle(PrimaryContextHandle context, nint graphExec) : ContextBoundHandle(context, graphExec)
{
    protected override CuResult Free(nint value) => CuDriver.cuGraphExecDestroy(value);
}
