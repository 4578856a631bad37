using Sage.Cuda.Interop;

namespace Sage.Cuda;

/// <summary>
/// A rank-3 TMA tensor map (CUtensorMap) of a byte tensor whose rows interleave heads, as an NHD input viewed as bytes:
/// <see cref="Tokens"/> token rows, each of <see cref="Heads"/> head rows of <see cref="Width"/> bytes
/// (<see cref="HeadStride"/> bytes apart; token rows <see cref="TokenStride"/> apart), copied in boxes of one head:
/// <see cref="BoxTokens"/> tokens × <see cref="BoxWidth"/> bytes, which land in shared memory as consecutive rows of
/// <see cref="BoxWidth"/> bytes, exactly as a <see cref="ByteTileMap"/> box of the same head in the HND layout. No swizzle.
/// <see cref="Validate"/> checks the driver's documented limits of cuTensorMapEncodeTiled before the call.
/// </summary>
internal readonly record struct HeadTileMap(
    ulong Address, ulong Width, ulong Heads, ulong Tokens, ulong HeadStride, ulong TokenStride, uint BoxWidth, uint BoxTokens)
{
    private const ulong MaxDimension = ByteTensorMapEncoder.MaxDimension;
    private const ulong MaxStride = ByteTensorMapEncoder.MaxStride;
    private const uint MaxBox = ByteTensorMapEncoder.MaxBox;

    /// <summary>Throws <see cref="ArgumentException"/> for a map the driver would refuse (or one that reads past a row).</summary>
    public void Validate()
    {
        if (Address == 0 || Address % 16 != 0)
            throw new ArgumentException($"Tensor map address 0x{Address:x}: expected a nonzero multiple of 16.", nameof(Address));
        if (Width == 0 || Width > MaxDimension)
            throw new ArgumentOutOfRangeException(nameof(Width), Width, "Expected 1 .. 2^32 bytes per row.");
        if (Heads == 0 || Heads > MaxDimension)
            throw new ArgumentOutOfRangeException(nameof(Heads), Heads, "Expected 1 .. 2^32 heads.");
        if (Tokens == 0 || Tokens > MaxDimension)
            throw new ArgumentOutOfRangeException(nameof(Tokens), Tokens, "Expected 1 .. 2^32 tokens.");
        if (HeadStride % 16 != 0 || HeadStride >= MaxStride || HeadStride < Width)
            throw new ArgumentOutOfRangeException(nameof(HeadStride), HeadStride, $"Expected a multiple of 16 below 2^40 and at least the row width {Width}.");
        if (TokenStride % 16 != 0 || TokenStride >= MaxStride || TokenStride < HeadStride * Heads)
            throw new ArgumentOutOfRangeException(nameof(TokenStride), TokenStride,
                $"Expected a multiple of 16 below 2^40 and at least {Heads} heads of {HeadStride} bytes.");
        if (BoxWidth == 0 || BoxWidth > MaxBox || BoxWidth % 16 != 0 || BoxWidth > Width)
            throw new ArgumentOutOfRangeException(nameof(BoxWidth), BoxWidth, $"Expected a multiple of 16 bytes, at most 256 and at most the row width {Width}.");
        if (BoxTokens == 0 || BoxTokens > MaxBox)
            throw new ArgumentOutOfRangeException(nameof(BoxTokens), BoxTokens, "Expected 1 .. 256 tokens.");
    }

    /// <summary>Encodes the map (cuTensorMapEncodeTiled, rank 3: a box of one head) into a kernel argument of 128 bytes.</summary>
    public KernelArgument Encode(CudaContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Validate();
        return ByteTensorMapEncoder.Encode(context, Address, [Width, Heads, Tokens], [HeadStride, TokenStride], [BoxWidth, 1, BoxTokens],
            CuTensorMapSwizzle.None, ToString());
    }
}
