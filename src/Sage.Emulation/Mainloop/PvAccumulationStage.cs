using Sage.Emulation.Preprocessing;

namespace Sage.Emulation.Mainloop;

/// <summary>
/// Stage PvAccumulation (docs/kernel-spec.md §8) for one row and one 128-token K tile, in each accumulation mode.
/// </summary>
public static class PvAccumulationStage
{
    /// <summary>
    /// Updates <paramref name="accO"/> (head dim values of one row) with the tile starting at token
    /// <paramref name="tileStart"/>. <paramref name="p8"/>: the row's 128 P codes. <paramref name="scratch"/>: 2·d
    /// floats; on return it holds the fresh inner accumulators (Fp32TwoLevel: d values; Fp16TwoLevel: h0 then h1).
    /// </summary>
    public static void Accumulate(PvAccumulation mode, PvMma mma, ReadOnlySpan<byte> p8, PreparedKeyValueHead kv,
        int tileStart, float rescale, Span<float> accO, Span<float> scratch)
    {
        int d = accO.Length;
        const int tile = KernelTiling.KeyTileTokens, half = KernelTiling.Fp16BlockTokens;
        switch (mode)
        {
            case PvAccumulation.Fp32:
                // One accumulator across tiles: rescale on the CUDA cores, then it re-enters the tensor core as C.
                for (int c = 0; c < d; c++) accO[c] *= rescale;
                mma.Chain(p8, tileStart, 0, tile, kv, accO);
                break;
            case PvAccumulation.Fp32TwoLevel:
            {
                var blk = scratch.Slice(0, d);
                blk.Clear();
                mma.Chain(p8, tileStart, 0, tile, kv, blk);
                for (int c = 0; c < d; c++) accO[c] = MathF.FusedMultiplyAdd(accO[c], rescale, blk[c]);
                break;
            }
            default:
            {
                var h0 = scratch.Slice(0, d);
                var h1 = scratch.Slice(d, d);
                h0.Clear();
                h1.Clear();
                mma.Chain(p8, tileStart, 0, half, kv, h0);
                mma.Chain(p8, tileStart, half, half, kv, h1);
                for (int c = 0; c < d; c++) accO[c] = MathF.FusedMultiplyAdd(accO[c], rescale, h0[c]) + h1[c];
                break;
            }
        }
    }
}
