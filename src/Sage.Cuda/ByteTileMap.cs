using Sage.Cuda.Interop;

namespace Sage.Cuda;

/// <summary>
/// A TMA tensor map (CUtensorMap) of a row-major byte matrix in device memory: <see cref="Rows"/> rows of
/// <see cref="Width"/> bytes, <see cref="RowStride"/> bytes apart, copied to shared memory in boxes of
/// <see cref="BoxRows"/> × <see cref="BoxWidth"/> bytes with <see cref="Swizzle"/> (the chunk permutation the matching wgmma
/// descriptor expects). <see cref="Validate"/> checks the driver's documented limits of cuTensorMapEncodeTiled before the
/// call, so a bad shape is an <see cref="ArgumentException"/> naming the value rather than CUDA_ERROR_INVALID_VALUE.
/// </summary>
internal readonly record struct ByteTileMap(
    ulong Address, ulong Width, ulong Rows, ulong RowStride, uint BoxWidth, uint BoxRows, CuTensorMapSwizzle Swizzle)
{
    /// <summary>Size of a CUtensorMap in bytes (and in the kernel's parameter list).</summary>
    public const int SizeInBytes = 128;

    /// <summary>A zeroed map argument, for a kernel parameter the launch never uses (no tiles to copy).</summary>
    public static KernelArgument Unused => KernelArgument.ByValue(new ulong[SizeInBytes / sizeof(ulong)], "CUtensorMap");

    private const ulong MaxDimension = 1UL << 32;
    private const ulong MaxStride = 1UL << 40;
    private const uint MaxBox = 256;

    /// <summary>Bytes a swizzled row of a box may span (the swizzle pattern's width); 0 without swizzle.</summary>
    public static int SwizzleSpan(CuTensorMapSwizzle swizzle) => swizzle switch
    {
        CuTensorMapSwizzle.None => 0,
        CuTensorMapSwizzle.Bytes32 => 32,
        CuTensorMapSwizzle.Bytes64 => 64,
        CuTensorMapSwizzle.Bytes128 => 128,
        _ => throw new ArgumentOutOfRangeException(nameof(swizzle), swizzle, "Unknown swizzle mode."),
    };

    /// <summary>Throws <see cref="ArgumentException"/> for a map the driver would refuse (or one that reads past a row).</summary>
    public void Validate()
    {
        if (Address == 0 || Address % 16 != 0)
            throw new ArgumentException($"Tensor map address 0x{Address:x}: expected a nonzero multiple of 16.", nameof(Address));
        if (Width == 0 || Width > MaxDimension)
            throw new ArgumentOutOfRangeException(nameof(Width), Width, $"Expected 1 .. 2^32 bytes per row.");
        if (Rows == 0 || Rows > MaxDimension)
            throw new ArgumentOutOfRangeException(nameof(Rows), Rows, $"Expected 1 .. 2^32 rows.");
        if (RowStride % 16 != 0 || RowStride >= MaxStride || RowStride < Width)
            throw new ArgumentOutOfRangeException(nameof(RowStride), RowStride,
                $"Expected a multiple of 16 below 2^40 and at least the row width {Width}.");
        if (BoxWidth == 0 || BoxWidth > MaxBox || BoxWidth % 16 != 0)
            throw new ArgumentOutOfRangeException(nameof(BoxWidth), BoxWidth, "Expected a multiple of 16 bytes, at most 256.");
        if (BoxRows == 0 || BoxRows > MaxBox)
            throw new ArgumentOutOfRangeException(nameof(BoxRows), BoxRows, "Expected 1 .. 256 rows.");
        int span = SwizzleSpan(Swizzle);
        if (span != 0 && BoxWidth > span)
            throw new ArgumentOutOfRangeException(nameof(BoxWidth), BoxWidth, $"A {Swizzle} swizzle allows box rows of at most {span} bytes.");
    }

    /// <summary>Encodes the map (cuTensorMapEncodeTiled) into a kernel argument of 128 bytes.</summary>
    public unsafe KernelArgument Encode(CudaContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Validate();
        ulong* dims = stackalloc ulong[] { Width, Rows };
        ulong* strides = stackalloc ulong[] { RowStride };
        uint* box = stackalloc uint[] { BoxWidth, BoxRows };
        uint* elementStrides = stackalloc uint[] { 1, 1 };
        byte* raw = stackalloc byte[SizeInBytes + 64];
        byte* map = (byte*)(((nuint)raw + 63) & ~(nuint)63); // CUtensorMap is 64-byte aligned
        context.MakeCurrent();
        CuResult result = CuDriver.cuTensorMapEncodeTiled(map, CuTensorMapDataType.UInt8, 2, Address, dims, strides, box,
            elementStrides, CuTensorMapInterleave.None, Swizzle, CuTensorMapL2Promotion.Bytes128, CuTensorMapFloatOobFill.None);
        if (result != CuResult.CUDA_SUCCESS)
            throw CudaCheck.Failure(result, "cuTensorMapEncodeTiled", ToString());
        return KernelArgument.ByValue(new ReadOnlySpan<ulong>(map, SizeInBytes / sizeof(ulong)), "CUtensorMap");
    }
}
