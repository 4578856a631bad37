using Sage.Cuda.Interop;

namespace Sage.Cuda;

/// <summary>
/// The cuTensorMapEncodeTiled call and the driver's documented limits shared by the byte tensor maps
/// (<see cref="ByteTileMap"/>, rank 2; <see cref="HeadTileMap"/>, rank 3): unit element strides, no interleave, 128-byte
/// L2 promotion, no out-of-bounds fill. Each map validates its own shape first, so that a bad value is an
/// <see cref="ArgumentException"/> naming it rather than CUDA_ERROR_INVALID_VALUE.
/// </summary>
internal static class ByteTensorMapEncoder
{
    /// <summary>Size of a CUtensorMap in bytes (and in a kernel's parameter list).</summary>
    public const int SizeInBytes = 128;

    /// <summary>The largest extent of a dimension (elements).</summary>
    public const ulong MaxDimension = 1UL << 32;

    /// <summary>Global strides (bytes) must stay below this.</summary>
    public const ulong MaxStride = 1UL << 40;

    /// <summary>The largest box extent of a dimension (elements).</summary>
    public const uint MaxBox = 256;

    /// <summary>
    /// Encodes a UInt8 map of <paramref name="dims"/>.Length dimensions (innermost first; <paramref name="strides"/> holds the
    /// byte strides of the outer ones) into a kernel argument of <see cref="SizeInBytes"/> bytes. A refusal throws a
    /// <see cref="CudaException"/> naming the call and <paramref name="description"/> (the map's fields).
    /// </summary>
    public static unsafe KernelArgument Encode(CudaContext context, ulong address, ReadOnlySpan<ulong> dims, ReadOnlySpan<ulong> strides,
        ReadOnlySpan<uint> box, CuTensorMapSwizzle swizzle, string description)
    {
        ArgumentNullException.ThrowIfNull(context);
        int rank = dims.Length;
        if (rank is < 1 or > 5 || strides.Length != rank - 1 || box.Length != rank)
            throw new ArgumentException($"A rank-{rank} map needs {rank - 1} strides and {rank} box extents; got {strides.Length} and {box.Length}.");
        uint* elementStrides = stackalloc uint[] { 1, 1, 1, 1, 1 };
        byte* raw = stackalloc byte[SizeInBytes + 64];
        byte* map = (byte*)(((nuint)raw + 63) & ~(nuint)63); // CUtensorMap is 64-byte aligned
        context.MakeCurrent();
        CuResult result;
        fixed (ulong* d = dims)
        fixed (ulong* s = strides)
        fixed (uint* b = box)
            result = CuDriver.cuTensorMapEncodeTiled(map, CuTensorMapDataType.UInt8, (uint)rank, address, d, s, b, elementStrides,
                CuTensorMapInterleave.None, swizzle, CuTensorMapL2Promotion.Bytes128, CuTensorMapFloatOobFill.None);
        if (result != CuResult.CUDA_SUCCESS)
            throw CudaCheck.Failure(result, "cuTensorMapEncodeTiled", description);
        return KernelArgument.ByValue(new ReadOnlySpan<ulong>(map, SizeInBytes / sizeof(ulong)), "CUtensorMap");
    }
}
