using Microsoft.Win32.SafeHandles;
using Sage.Cuda.Interop;

namespace Sage.Cuda.Handles;

/// <summary>
/// One retain of a device's primary context. Release drops that retain; the driver destroys the context when
/// the last retain goes. Resources created in the context hold a reference on this handle (see
/// <see cref="ContextBoundHandle"/>), so the context outlives everything allocated in it even when
/// finalizers run in arbitrary order.
/// </summary>
internal sealed class PrimaryContextHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public PrimaryContextHandle(nint context, int device) : base(ownsHandle: true)
    {
        Device = device;
        SetHandle(context);
    }

    public int Device { get; }

    protected override bool ReleaseHandle() =>
        CuDriver.cuDevicePrimaryCtxRelease_v2(Device) == CuResult.CUDA_SUCCESS;
}
