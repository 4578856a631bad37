namespace Sage.Cuda.Preprocessing;

/// <summary>
/// Sizes of the pre-processing outputs (docs/kernel-spec.md §3-§4; layout in docs/results/preprocess-2026-11-25.md):
/// Q is padded to whole 128-row CTA tiles, K and V to whole 128-token tiles; scale arrays have the spec's lengths.
/// </summary>
public static class PreprocessLayout
{
    public const int KeyTileTokens = 128;
    public const int QueryTileRows = 128;
    public const int QueryBlockRows = 64;
    public const int WarpRows = 16;

    /// <summary>Rows of quantised Q per (batch, head): ⌈Nq/128⌉·128.</summary>
    public static int PaddedQueryLength(int queryLength) => Ceil(queryLength, QueryTileRows) * QueryTileRows;

    /// <summary>Tokens of quantised K / V codes per (batch, head): ⌈Nk/128⌉·128.</summary>
    public static int PaddedKeyLength(int keyLength) => KeyTiles(keyLength) * KeyTileTokens;

    public static int KeyTiles(int keyLength) => Ceil(keyLength, KeyTileTokens);

    /// <summary>64-row Q blocks (Q smoothing means, per-block scales): ⌈Nq/64⌉.</summary>
    public static int QueryBlocks(int queryLength) => Ceil(queryLength, QueryBlockRows);

    /// <summary>Q scales per (batch, head): ⌈Nq/16⌉·8 (PerThread), ⌈Nq/16⌉ (PerWarp), ⌈Nq/64⌉ (PerBlock).</summary>
    public static int QueryGroups(QuantGranularity granularity, int queryLength) => granularity switch
    {
        QuantGranularity.PerThread => Ceil(queryLength, WarpRows) * 8,
        QuantGranularity.PerWarp => Ceil(queryLength, WarpRows),
        QuantGranularity.PerBlock => QueryBlocks(queryLength),
        _ => throw new ArgumentOutOfRangeException(nameof(granularity), granularity, "Unknown granularity."),
    };

    /// <summary>Scale index of query row <paramref name="row"/> (global, 0-based).</summary>
    public static int QueryGroupOf(QuantGranularity granularity, int row) => granularity switch
    {
        QuantGranularity.PerThread => row / WarpRows * 8 + row % 8,
        QuantGranularity.PerWarp => row / WarpRows,
        _ => row / QueryBlockRows,
    };

    /// <summary>K scales per 128-token tile: 4 (PerThread, one per lane of a quad), else 1.</summary>
    public static int KeyGroupsPerTile(QuantGranularity granularity) => granularity == QuantGranularity.PerThread ? 4 : 1;

    /// <summary>Bytes one quantised row of d channels occupies: d (INT8) or d/2 (INT4, two per byte).</summary>
    public static int QuantizedRowBytes(QkFormat format, int headDim) => format == QkFormat.Int4 ? headDim / 2 : headDim;

    /// <summary>
    /// Stored position, within its 128-token tile, of V code token <paramref name="token"/> (0..127): inside every
    /// 16-token group token 8a + 2t + b sits at 4t + 2a + b (docs/kernel-spec.md §4 "Storage layout of the V codes"), the k order of
    /// the register A fragment through which the main loop feeds P to the FP8 wgmma. Values are unchanged.
    /// </summary>
    public static int ValueCodePosition(int token)
    {
        int u = token & 15;
        return (token & ~15) | (((u >> 1) & 3) << 2) | ((u >> 3) << 1) | (u & 1);
    }

    /// <summary>
    /// The V codes ([B, Hkv, d, paddedLength] as stored by the pre-processing) back in token order, the layout of the
    /// emulator's <c>ValueCodesTransposed</c>.
    /// </summary>
    public static byte[] ValueCodesInTokenOrder(ReadOnlySpan<byte> stored, int paddedLength)
    {
        if (paddedLength < 0 || paddedLength % KeyTileTokens != 0)
            throw new ArgumentOutOfRangeException(nameof(paddedLength), paddedLength, $"Expected a multiple of {KeyTileTokens}.");
        if (paddedLength > 0 && stored.Length % paddedLength != 0)
            throw new ArgumentException($"{stored.Length} codes are not whole rows of {paddedLength} tokens.", nameof(stored));
        if (paddedLength == 0) return stored.ToArray();
        var natural = new byte[stored.Length];
        for (int row = 0; row < stored.Length; row += paddedLength)
            for (int token = 0; token < paddedLength; token++)
                natural[row + token] = stored[row + (token & ~(KeyTileTokens - 1)) + ValueCodePosition(token & (KeyTileTokens - 1))];
        return natural;
    }

    private static int Ceil(int n, int size) => (n + size - 1) / size;
}
