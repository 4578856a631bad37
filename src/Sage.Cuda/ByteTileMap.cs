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
    public const int SizeInBytes = ByteTensorMapEncoder.SizeInBytes;

    /// <summary>A zeroed map argument, for a kernel parameter the launch never uses (no tiles to copy).</summary>
    public static KernelArgument Unused => KernelArgument.ByValue(new ulong[SizeInBytes / sizeof(ulong)], "CUtensorMap");

    private const ulong MaxDimension = ByteTensorMapEncoder.MaxDimension;
    private const ulong MaxStride = ByteTensorMapEncoder.MaxStride;
    private const uint MaxBox = ByteTensorMapEncoder.MaxBox;

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

    /// <summary>Encodes the map (cuTensorMapEncodeTiled, rank 2) into a kernel argument of 128 bytes.</summary>
    public KernelArgument Encode(CudaContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Validate();
        return ByteTensorMapEncoder.Encode(context, Address, [Width, Rows], [RowStride], [BoxWidth, BoxRows], Swizzle, ToString());
    }
}
