namespace Sage.Emulation.Mainloop;

/// <summary>
/// Stage PvAccumulation (docs/kernel-spec.md §8) for one row and one 128-token K tile, in each accumulation mode.
/// </summary>
public static class PvAccumulationStage
{
    /// <summary>
    /// Updates <paramref name="accO"/> (head dim values of one row). <paramref name="p8"/>: the row's 128 P codes;
    /// <paramref name="valueCodesTransposed"/>: V codes channel-major with row stride <paramref name="paddedLength"/>;
    /// <paramref name="tokenStart"/>: first token of the tile. <paramref name="blocks"/> (optional, for tracing)
    /// receives the fresh inner accumulators: Fp32TwoLevel d values, Fp16TwoLevel 2·d (h0 then h1), Fp32 none.
    /// </summary>
    public static void Accumulate(PvAccumulation mode, PvMma mma, ReadOnlySpan<byte> p8, ReadOnlySpan<byte> valueCodesTransposed,
        int paddedLength, int tokenStart, float rescale, Span<float> accO, Span<float> blocks)
    {
        int d = accO.Length;
        const int half = KernelTiling.Fp16BlockTokens;
        for (int c = 0; c < d; c++)
        {
            var v = valueCodesTransposed.Slice(c * paddedLength + tokenStart, KernelTiling.KeyTileTokens);
            switch (mode)
            {
                case PvAccumulation.Fp32:
                    accO[c] = mma.Chain(p8, v, accO[c] * rescale);
                    break;
                case PvAccumulation.Fp32TwoLevel:
                {
                    float blk = mma.Chain(p8, v, 0f);
                    if (!blocks.IsEmpty) blocks[c] = blk;
                    accO[c] = MathF.FusedMultiplyAdd(accO[c], rescale, blk);
                    break;
                }
                default:
                {
                    float h0 = mma.Chain(p8.Slice(0, half), v.Slice(0, half), 0f);
                    float h1 = mma.Chain(p8.Slice(half, half), v.Slice(half, half), 0f);
                    if (!blocks.IsEmpty) { blocks[c] = h0; blocks[d + c] = h1; }
                    accO[c] = MathF.FusedMultiplyAdd(accO[c], rescale, h0) + h1;
                    break;
                }
            }
        }
    }
}
