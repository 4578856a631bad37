namespace Sage.Emulation;

/// <summary>
/// Tile sizes of our Hopper kernel that change results (docs/kernel-spec.md §0): they decide which rows and tokens
/// share a quantisation scale, which keys one online-softmax step sees and how many products one accumulator spans.
/// </summary>
public static class KernelTiling
{
    /// <summary>Query rows of the spec's query tile (§6): two 64-row blocks, each run by its own one-warpgroup CTA.</summary>
    public const int QueryTileRows = 128;

    /// <summary>Query rows per consumer warpgroup (wgmma M = 64): the per-block Q group and the Q-smoothing block.</summary>
    public const int WarpgroupRows = 64;

    /// <summary>Query rows per warp in the m64 accumulator: the per-warp Q group.</summary>
    public const int WarpRows = 16;

    /// <summary>Keys per K/V tile: one QKᵀ wgmma (N = 128) and one online-softmax step.</summary>
    public const int KeyTileTokens = 128;

    /// <summary>Tokens per FP8 wgmma k-step (K = 32).</summary>
    public const int PvKStep = 32;

    /// <summary>
    /// Tokens one FP16 inner accumulator spans: the whole K tile (four k-steps), with V scaled to 1.125 so that
    /// 128·448·1.125 = 64512 ≤ 65504 (docs/kernel-spec.md §8).
    /// </summary>
    public const int Fp16BlockTokens = KeyTileTokens;

    /// <summary>Lanes of a quad that together hold one accumulator row.</summary>
    public const int LanesPerRow = 4;

    /// <summary>Number of tiles of <paramref name="tileSize"/> that cover <paramref name="length"/>.</summary>
    public static int TileCount(int length, int tileSize) => (length + tileSize - 1) / tileSize;
}
