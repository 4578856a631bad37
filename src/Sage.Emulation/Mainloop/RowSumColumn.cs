using System.Runtime.CompilerServices;
using Sage.Emulation.Preprocessing;

namespace Sage.Emulation.Mainloop;

/// <summary>
/// The softmax row sum l as one more output column of the PV product (docs/kernel-spec.md §7-§8): its V column is all
/// E4M3 1.0, so the tensor core sums the row's FP8 P codes as it accumulates an output channel, with the mode's
/// accumulator type (the <see cref="PvMma"/> / <see cref="Fp8PvRowLaneKernel"/> of the mode). In every mode the column
/// starts from +0 each tile and joins l on the CUDA cores, l = fma(l, rescale, blk); in Fp32 mode too, although its
/// channels re-enter one accumulator as C: a C holding the whole running l would lose every term below 2^−13 of l at
/// each truncating k-step, and over 16K keys l ends up far too small (spec §8, §13). Why a column and not lane sums:
/// the kernel is issue bound, and the 64 dependent FADDs per thread and tile cost more than 8 more wgmma columns; the
/// sum then also normalises the same FP8 P as the numerator.
/// </summary>
public static class RowSumColumn
{
    /// <summary>E4M3 1.0 (0x38): the value of every token of the row-sum column.</summary>
    public const byte One = 0x38;

    private static readonly byte[] Ones = CreateOnes();

    /// <summary>
    /// The row's l after one K tile: <paramref name="p8"/> holds the row's 128 P codes (masked keys code 0),
    /// <paramref name="rowSum"/> its l before the tile (+0 before the first) and <paramref name="rescale"/> the tile's factor.
    /// </summary>
    public static float Update(PvMma mma, ReadOnlySpan<byte> p8, float rescale, float rowSum)
    {
        ArgumentNullException.ThrowIfNull(mma);
        if (p8.Length != KernelTiling.KeyTileTokens)
            throw new ArgumentException($"p8 holds {p8.Length} codes; expected one K tile of {KernelTiling.KeyTileTokens}.", nameof(p8));
        float blk = mma.Chain(p8, Ones, 0f);
        return MathF.FusedMultiplyAdd(rowSum, rescale, blk);
    }

    /// <summary>
    /// <see cref="Update"/> for the first <paramref name="rows"/> rows of a query tile: row r's codes are
    /// <paramref name="codes"/>[r·128 ..] (row-major, as the softmax writes them), its factor <paramref name="rescale"/>[r]
    /// and its l <paramref name="rowSums"/>[r].
    /// </summary>
    public static void UpdateRows(PvMma mma, ReadOnlySpan<byte> codes, int rows, ReadOnlySpan<float> rescale,
        Span<float> rowSums)
    {
        const int tile = KernelTiling.KeyTileTokens;
        if (codes.Length < rows * tile || rescale.Length < rows || rowSums.Length < rows)
            throw new ArgumentException(
                $"codes, rescale and rowSums hold {codes.Length}, {rescale.Length} and {rowSums.Length}; expected ≥ {rows * tile}, {rows} and {rows}.",
                nameof(rows));
        for (int r = 0; r < rows; r++)
            rowSums[r] = Update(mma, codes.Slice(r * tile, tile), rescale[r], rowSums[r]);
    }

    /// <summary>
    /// <see cref="UpdateRows"/> for the 128 rows of a query tile through the rows-in-lanes kernel (the same values): P
    /// codes, values and exponents transposed as for <see cref="PvAccumulationStage.AccumulateTileTransposed"/>
    /// ([token][128 rows]), 128 factors and 128 row sums (padding rows: zero codes, factor 1). The column runs as a
    /// two-channel head of ones (the kernel takes channels in pairs; the second is the same sum and is dropped), so it
    /// costs 2/d of the tile's PV work instead of one model chain per row.
    /// </summary>
    [SkipLocalsInit]
    public static void UpdateTransposed(Fp8PvRowLaneKernel kernel, ReadOnlySpan<byte> codesT, ReadOnlySpan<float> pT,
        ReadOnlySpan<sbyte> pExponentsT, ReadOnlySpan<float> rescale, Span<float> rowSums)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        const int rows = Fp8PvRowLaneKernel.Rows;
        if (rescale.Length < rows || rowSums.Length < rows)
            throw new ArgumentException($"rescale and rowSums hold {rescale.Length} and {rowSums.Length}; expected {rows} each.", nameof(rowSums));
        Span<float> columnT = stackalloc float[OnesHead.HeadDim * rows];
        kernel.Chain(codesT, pT, pExponentsT, 0, 0, KernelTiling.KeyTileTokens, OnesHead, columnT, fromZero: true);
        for (int r = 0; r < rows; r++)
            rowSums[r] = MathF.FusedMultiplyAdd(rowSums[r], rescale[r], columnT[r]);
    }

    /// <summary>One K tile of a two-channel V head whose codes are all E4M3 1.0, for the rows-in-lanes kernel.</summary>
    private static readonly PreparedKeyValueHead OnesHead = CreateOnesHead();

    private static PreparedKeyValueHead CreateOnesHead()
    {
        var head = new PreparedKeyValueHead(KernelTiling.KeyTileTokens, 2);
        Array.Fill(head.ValueCodesTransposed, One);
        head.DeriveTokenMajorValues();
        return head;
    }

    private static byte[] CreateOnes()
    {
        var ones = new byte[KernelTiling.KeyTileTokens];
        Array.Fill(ones, One);
        return ones;
    }
}
