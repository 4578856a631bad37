using System.Runtime.InteropServices;

namespace Sage.Cuda.Interop;

/// <summary>
/// The CUDA driver API entry points we use, bound by exact exported symbol. The versioned names
/// (<c>_v2</c>) are the ones cuda.h has mapped the plain names to since CUDA 4/11; the driver keeps
/// exporting them for every older binary, so they are stable across driver releases (580 / CUDA 13 too).
/// Contexts are the device's primary context (retain/release), the choice the runtime API makes and the
/// one that never changes signature (cuCtxCreate gained _v3/_v4 variants).
/// Every method returns the raw <see cref="CuResult"/>; callers check it through <see cref="CudaCheck"/>.
/// </summary>
internal static unsafe partial class CuDriver
{
    public const string LibraryName = "libcuda.so.1";

    static CuDriver() => NativeLibraryResolver.EnsureRegistered();

    [LibraryImport(LibraryName)] public static partial CuResult cuInit(uint flags);
    [LibraryImport(LibraryName)] public static partial CuResult cuDriverGetVersion(int* version);
    [LibraryImport(LibraryName)] public static partial CuResult cuGetErrorName(CuResult error, byte** name);
    [LibraryImport(LibraryName)] public static partial CuResult cuGetErrorString(CuResult error, byte** description);

    [LibraryImport(LibraryName)] public static partial CuResult cuDeviceGetCount(int* count);
    [LibraryImport(LibraryName)] public static partial CuResult cuDeviceGet(int* device, int ordinal);
    [LibraryImport(LibraryName)] public static partial CuResult cuDeviceGetName(byte* name, int length, int device);
    [LibraryImport(LibraryName)] public static partial CuResult cuDeviceGetPCIBusId(byte* pciBusId, int length, int device);
    [LibraryImport(LibraryName)] public static partial CuResult cuDeviceGetAttribute(int* value, CuDeviceAttribute attribute, int device);
    [LibraryImport(LibraryName)] public static partial CuResult cuDeviceTotalMem_v2(nuint* bytes, int device);

    [LibraryImport(LibraryName)] public static partial CuResult cuDevicePrimaryCtxRetain(nint* context, int device);
    [LibraryImport(LibraryName)] public static partial CuResult cuDevicePrimaryCtxRelease_v2(int device);
    [LibraryImport(LibraryName)] public static partial CuResult cuCtxSetCurrent(nint context);
    [LibraryImport(LibraryName)] public static partial CuResult cuCtxPushCurrent_v2(nint context);
    [LibraryImport(LibraryName)] public static partial CuResult cuCtxPopCurrent_v2(nint* context);
    [LibraryImport(LibraryName)] public static partial CuResult cuCtxSynchronize();

    [LibraryImport(LibraryName)] public static partial CuResult cuMemGetInfo_v2(nuint* free, nuint* total);
    [LibraryImport(LibraryName)] public static partial CuResult cuMemAlloc_v2(ulong* pointer, nuint bytes);
    [LibraryImport(LibraryName)] public static partial CuResult cuMemFree_v2(ulong pointer);
    [LibraryImport(LibraryName)] public static partial CuResult cuMemcpyHtoD_v2(ulong destination, void* source, nuint bytes);
    [LibraryImport(LibraryName)] public static partial CuResult cuMemcpyDtoH_v2(void* destination, ulong source, nuint bytes);
    [LibraryImport(LibraryName)] public static partial CuResult cuMemsetD8_v2(ulong destination, byte value, nuint count);

    // Stream-ordered memory (CUDA 11.2+): allocation and release are queued on a stream, so per-call buffers need
    // no device-wide synchronisation (cuMemFree waits for the whole device).
    [LibraryImport(LibraryName)] public static partial CuResult cuMemAllocAsync(ulong* pointer, nuint bytes, nint stream);
    [LibraryImport(LibraryName)] public static partial CuResult cuMemFreeAsync(ulong pointer, nint stream);
    [LibraryImport(LibraryName)] public static partial CuResult cuMemsetD8Async(ulong destination, byte value, nuint count, nint stream);
    [LibraryImport(LibraryName)] public static partial CuResult cuMemcpyHtoDAsync_v2(ulong destination, void* source, nuint bytes, nint stream);
    [LibraryImport(LibraryName)] public static partial CuResult cuMemcpyDtoHAsync_v2(void* destination, ulong source, nuint bytes, nint stream);

    [LibraryImport(LibraryName)] public static partial CuResult cuModuleLoadDataEx(nint* module, void* image, uint optionCount, CuJitOption* options, nint* optionValues);
    [LibraryImport(LibraryName)] public static partial CuResult cuModuleUnload(nint module);
    [LibraryImport(LibraryName)] public static partial CuResult cuModuleGetFunction(nint* function, nint module, byte* name);
    [LibraryImport(LibraryName)] public static partial CuResult cuModuleGetGlobal_v2(ulong* pointer, nuint* bytes, nint module, byte* name);
    [LibraryImport(LibraryName)] public static partial CuResult cuFuncSetAttribute(nint function, CuFunctionAttribute attribute, int value);
    [LibraryImport(LibraryName)] public static partial CuResult cuFuncGetAttribute(int* value, CuFunctionAttribute attribute, nint function);
    [LibraryImport(LibraryName)] public static partial CuResult cuFuncGetParamInfo(nint function, nuint index, nuint* offset, nuint* size);
    [LibraryImport(LibraryName)]
    public static partial CuResult cuLaunchKernel(
        nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedMemoryBytes, nint stream, void** kernelParams, void** extra);

    // cuLaunchKernel with launch attributes (CUDA 12.0+): programmatic dependent launch, where a grid may start while the
    // previous kernel of its stream still runs (CuLaunchAttributeId.ProgrammaticStreamSerialization).
    [LibraryImport(LibraryName)]
    public static partial CuResult cuLaunchKernelEx(CuLaunchConfig* config, nint function, void** kernelParams, void** extra);

    [LibraryImport(LibraryName)] public static partial CuResult cuStreamCreate(nint* stream, uint flags);
    [LibraryImport(LibraryName)] public static partial CuResult cuStreamDestroy_v2(nint stream);
    [LibraryImport(LibraryName)] public static partial CuResult cuStreamSynchronize(nint stream);

    // Graphs (CUDA 10+; instantiate with flags 11.4+): a stream's work recorded by capture (kernels with their launch
    // attributes, stream-ordered allocations and releases, memsets) and replayed by one launch.
    [LibraryImport(LibraryName)] public static partial CuResult cuStreamBeginCapture_v2(nint stream, CuStreamCaptureMode mode);
    [LibraryImport(LibraryName)] public static partial CuResult cuStreamEndCapture(nint stream, nint* graph);
    [LibraryImport(LibraryName)] public static partial CuResult cuStreamIsCapturing(nint stream, CuStreamCaptureStatus* status);
    // This thread's capture mode (CUDA 10.1+): set to *mode, the previous one written back to *mode.
    [LibraryImport(LibraryName)] public static partial CuResult cuThreadExchangeStreamCaptureMode(CuStreamCaptureMode* mode);
    [LibraryImport(LibraryName)] public static partial CuResult cuGraphInstantiateWithFlags(nint* graphExec, nint graph, ulong flags);
    [LibraryImport(LibraryName)] public static partial CuResult cuGraphLaunch(nint graphExec, nint stream);
    [LibraryImport(LibraryName)] public static partial CuResult cuGraphExecDestroy(nint graphExec);
    [LibraryImport(LibraryName)] public static partial CuResult cuGraphDestroy(nint graph);
    [LibraryImport(LibraryName)] public static partial CuResult cuGraphGetNodes(nint graph, nint* nodes, nuint* count);

    [LibraryImport(LibraryName)] public static partial CuResult cuEventCreate(nint* @event, uint flags);
    [LibraryImport(LibraryName)] public static partial CuResult cuEventDestroy_v2(nint @event);
    [LibraryImport(LibraryName)] public static partial CuResult cuEventRecord(nint @event, nint stream);
    [LibraryImport(LibraryName)] public static partial CuResult cuStreamWaitEvent(nint stream, nint @event, uint flags);
    [LibraryImport(LibraryName)] public static partial CuResult cuEventSynchronize(nint @event);
    [LibraryImport(LibraryName)] public static partial CuResult cuEventQuery(nint @event);
    [LibraryImport(LibraryName)] public static partial CuResult cuEventElapsedTime(float* milliseconds, nint start, nint end);

    // Tensor maps (CUDA 12.0+, sm_90): the 128-byte descriptor a TMA copy (cp.async.bulk.tensor) reads; the map is
    // written to tensorMap, which must be 64-byte aligned.
    [LibraryImport(LibraryName)]
    public static partial CuResult cuTensorMapEncodeTiled(
        void* tensorMap, CuTensorMapDataType dataType, uint rank, ulong globalAddress, ulong* globalDim,
        ulong* globalStrides, uint* boxDim, uint* elementStrides, CuTensorMapInterleave interleave,
        CuTensorMapSwizzle swizzle, CuTensorMapL2Promotion l2Promotion, CuTensorMapFloatOobFill oobFill);
}

/// <summary>CUstreamCaptureMode.</summary>
internal enum CuStreamCaptureMode
{
    Global = 0,
    ThreadLocal = 1,
    /// <summary>Neither this thread nor others are refused the calls that are unsafe during capture.</summary>
    Relaxed = 2,
}

/// <summary>CUstreamCaptureStatus.</summary>
internal enum CuStreamCaptureStatus
{
    None = 0,
    Active = 1,
    Invalidated = 2,
}

/// <summary>CUtensorMapDataType values we use.</summary>
internal enum CuTensorMapDataType
{
    UInt8 = 0,
}

/// <summary>CUtensorMapInterleave values we use.</summary>
internal enum CuTensorMapInterleave
{
    None = 0,
}

/// <summary>CUtensorMapSwizzle: how a TMA copy permutes the 16-byte chunks of each row in shared memory.</summary>
internal enum CuTensorMapSwizzle
{
    None = 0,
    Bytes32 = 1,
    Bytes64 = 2,
    Bytes128 = 3,
}

/// <summary>CUtensorMapL2promotion values.</summary>
internal enum CuTensorMapL2Promotion
{
    None = 0,
    Bytes64 = 1,
    Bytes128 = 2,
    Bytes256 = 3,
}

/// <summary>CUtensorMapFloatOOBfill values we use.</summary>
internal enum CuTensorMapFloatOobFill
{
    None = 0,
}

/// <summary>CUdevice_attribute values we read.</summary>
internal enum CuDeviceAttribute
{
    MaxThreadsPerBlock = 1,
    MaxSharedMemoryPerBlock = 8,
    ClockRateKilohertz = 13,
    MultiprocessorCount = 16,
    ComputeCapabilityMajor = 75,
    ComputeCapabilityMinor = 76,
    MaxSharedMemoryPerBlockOptin = 97,
}

/// <summary>CUfunction_attribute values we read or set.</summary>
internal enum CuFunctionAttribute
{
    MaxThreadsPerBlock = 0,
    SharedSizeBytes = 1,
    ConstSizeBytes = 2,
    LocalSizeBytes = 3,
    NumRegisters = 4,
    PtxVersion = 5,
    BinaryVersion = 6,
    MaxDynamicSharedSizeBytes = 8,
    PreferredSharedMemoryCarveout = 9,
}

/// <summary>CUjit_option values used when loading a module (only to capture the JIT error log of PTX).</summary>
internal enum CuJitOption
{
    ErrorLogBuffer = 5,
    ErrorLogBufferSizeBytes = 6,
}
