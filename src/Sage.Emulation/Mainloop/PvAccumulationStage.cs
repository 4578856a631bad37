using System.Runtime.Intrinsics;
using Sage.Emulation.Preprocessing;

namespace Sage.Emulation.Mainloop;

/// <summary>
/// Stage PvAccumulation (docs/kernel-spec.md §8) for one row and one 128-token K tile, in each accumulation mode. Both
/// two-level modes run one fresh tensor-core accumulator over the whole tile (FP32 or FP16, as the model says; with FP16,
/// V_MAX = 1.125 keeps 128·448·1.125 = 64512 finite) and then acc_o = fma(acc_o, rescale, blk): FP16 → fp32 is exact.
/// </summary>
public static class PvAccumulationStage
{
    /// <summary>
    /// Updates <paramref name="accO"/> (head dim values of one row) with the tile starting at token
    /// <paramref name="tileStart"/>. <paramref name="p8"/>: the row's 128 P codes. <paramref name="scratch"/>: d floats;
    /// on return it holds the fresh inner accumulator of the two-level modes (the tile's block, d values).
    /// </summary>
    public static void Accumulate(PvAccumulation mode, PvMma mma, ReadOnlySpan<byte> p8, PreparedKeyValueHead kv,
        int tileStart, float rescale, Span<float> accO, Span<float> scratch)
    {
        int d = accO.Length;
        const int tile = KernelTiling.KeyTileTokens;
        if (mode == PvAccumulation.Fp32)
        {
            // One accumulator across tiles: rescale on the CUDA cores, then it re-enters the tensor core as C.
            for (int c = 0; c < d; c++) accO[c] *= rescale;
            mma.Chain(p8, tileStart, 0, tile, kv, accO);
            return;
        }
        var blk = scratch.Slice(0, d);
        blk.Clear();
        mma.Chain(p8, tileStart, 0, tile, kv, blk);
        for (int c = 0; c < d; c++) accO[c] = MathF.FusedMultiplyAdd(accO[c], rescale, blk[c]);
    }

    /// <summary>
    /// <see cref="Accumulate"/> for the first <paramref name="rows"/> rows of a query tile at once (the same values):
    /// row r's P codes are <paramref name="codes"/>[r·128 ..], its accumulator <paramref name="accO"/>[r·d ..], its
    /// rescale factor <paramref name="rescale"/>[r] and its inner accumulator <paramref name="blocks"/>[r·d ..].
    /// With a <see cref="PvMma.TileKernel"/>, rows go through it in blocks of 4; the caller provides buffers for
    /// <paramref name="rows"/> rounded up to 4, with zero codes, zero accumulators and rescale 1 in the padding, and
    /// the codes decoded by <see cref="Fp8PvTileKernel.Decode"/> into <paramref name="pValues"/> and <paramref name="pExponents"/>.
    /// </summary>
    public static void AccumulateTile(PvAccumulation mode, PvMma mma, ReadOnlySpan<byte> codes, ReadOnlySpan<float> pValues,
        ReadOnlySpan<sbyte> pExponents, int rows, PreparedKeyValueHead kv, int tileStart, ReadOnlySpan<float> rescale,
        Span<float> accO, Span<float> blocks)
    {
        int d = kv.HeadDim;
        const int tile = KernelTiling.KeyTileTokens;
        var kernel = mma.TileKernel;
        if (kernel is null || !Fp8PvTileKernel.Supports(kv))
        {
            for (int r = 0; r < rows; r++)
                Accumulate(mode, mma, codes.Slice(r * tile, tile), kv, tileStart, rescale[r], accO.Slice(r * d, d), blocks.Slice(r * d, d));
            return;
        }
        int padded = (rows + Fp8PvTileKernel.RowBlock - 1) / Fp8PvTileKernel.RowBlock * Fp8PvTileKernel.RowBlock;
        if (mode == PvAccumulation.Fp32)
        {
            for (int r = 0; r < padded; r++) Scale(accO.Slice(r * d, d), rescale[r]);
            kernel.Chain(codes, pValues, pExponents, padded, tileStart, 0, tile, kv, accO, d);
            return;
        }
        kernel.Chain(codes, pValues, pExponents, padded, tileStart, 0, tile, kv, blocks, d, fromZero: true);
        for (int r = 0; r < padded; r++)
            FusedMultiplyAdd(accO.Slice(r * d, d), rescale[r], blocks.Slice(r * d, d));
    }

    /// <summary>
    /// <see cref="AccumulateTile"/> for a whole query tile through <paramref name="kernel"/>, transposed: P codes, values and
    /// exponents as [token][128 rows], <paramref name="accOT"/> as [channel][128 rows] (d × 128), <paramref name="blocksT"/>
    /// (d × 128) receives the inner accumulators ([channel][row]); <paramref name="rescale"/> holds 128 factors (1 in the
    /// padding rows, whose codes are zero). The same values as the row-major stage, element by element.
    /// </summary>
    public static void AccumulateTileTransposed(PvAccumulation mode, Fp8PvRowLaneKernel kernel, ReadOnlySpan<byte> codesT,
        ReadOnlySpan<float> pT, ReadOnlySpan<sbyte> pExponentsT, PreparedKeyValueHead kv, int tileStart, ReadOnlySpan<float> rescale,
        Span<float> accOT, Span<float> blocksT)
    {
        const int tile = KernelTiling.KeyTileTokens, rows = Fp8PvRowLaneKernel.Rows;
        if (rescale.Length < rows) throw new ArgumentException($"rescale holds {rescale.Length}; expected {rows}.", nameof(rescale));
        if (mode == PvAccumulation.Fp32)
        {
            for (int c = 0; c < kv.HeadDim; c++) ScaleColumn(accOT.Slice(c * rows, rows), rescale);
            kernel.Chain(codesT, pT, pExponentsT, tileStart, 0, tile, kv, accOT, fromZero: false);
            return;
        }
        kernel.Chain(codesT, pT, pExponentsT, tileStart, 0, tile, kv, blocksT, fromZero: true);
        for (int c = 0; c < kv.HeadDim; c++)
            FusedMultiplyAddColumn(accOT.Slice(c * rows, rows), rescale, blocksT.Slice(c * rows, rows));
    }

    /// <summary>acc[r] ·= rescale[r] over one channel's rows.</summary>
    private static void ScaleColumn(Span<float> acc, ReadOnlySpan<float> rescale)
    {
        int r = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; r + 16 <= acc.Length; r += 16) (Vector512.Create(acc.Slice(r, 16)) * Vector512.Create(rescale.Slice(r, 16))).CopyTo(acc.Slice(r, 16));
        for (; r < acc.Length; r++) acc[r] *= rescale[r];
    }

    /// <summary>acc[r] = fma(acc[r], rescale[r], blk[r]) over one channel's rows.</summary>
    private static void FusedMultiplyAddColumn(Span<float> acc, ReadOnlySpan<float> rescale, ReadOnlySpan<float> blk)
    {
        int r = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; r + 16 <= acc.Length; r += 16)
                Vector512.FusedMultiplyAdd(Vector512.Create(acc.Slice(r, 16)), Vector512.Create(rescale.Slice(r, 16)), Vector512.Create(blk.Slice(r, 16)))
                    .CopyTo(acc.Slice(r, 16));
        for (; r < acc.Length; r++) acc[r] = MathF.FusedMultiplyAdd(acc[r], rescale[r], blk[r]);
    }

    /// <summary>acc[c] ·= rescale (one fp32 multiplication per element, as the scalar loop).</summary>
    private static void Scale(Span<float> acc, float rescale)
    {
        int c = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; c + 16 <= acc.Length; c += 16) (Vector512.Create(acc.Slice(c, 16)) * rescale).CopyTo(acc.Slice(c, 16));
        for (; c < acc.Length; c++) acc[c] *= rescale;
    }

    /// <summary>acc[c] = fma(acc[c], rescale, blk[c]): the same rounding as the scalar loop.</summary>
    private static void FusedMultiplyAdd(Span<float> acc, float rescale, ReadOnlySpan<float> blk)
    {
        int c = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; c + 16 <= acc.Length; c += 16)
                Vector512.FusedMultiplyAdd(Vector512.Create(acc.Slice(c, 16)), Vector512.Create(rescale), Vector512.Create(blk.Slice(c, 16)))
                    .CopyTo(acc.Slice(c, 16));
        for (; c < acc.Length; c++) acc[c] = MathF.FusedMultiplyAdd(acc[c], rescale, blk[c]);
    }
}
