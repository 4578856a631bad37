namespace Sage.Emulation.Planning;

/// <summary>
/// Which 128-row query tiles of every (batch, query head) the planner evaluates. Sampling whole kernel tiles keeps
/// the evaluation exact for the rows it covers: a tile's Q quantisation groups, Q smoothing blocks and online
/// softmax never look outside the tile, K/V pre-processing still sees the whole sequence, and every attention
/// row is independent of the others. Tiles are spread evenly over the sequence (first and last included when two
/// or more are taken), so causal layers are sampled at short and long visible lengths alike.
/// </summary>
public sealed class QueryTileSample
{
    private QueryTileSample(int queryLength, int[] tiles)
    {
        QueryLength = queryLength;
        Tiles = tiles;
        var starts = new int[tiles.Length];
        int rows = 0;
        for (int i = 0; i < tiles.Length; i++)
        {
            starts[i] = rows;
            rows += RowsOf(tiles[i]);
        }
        RowStarts = starts;
        RowsPerHead = rows;
    }

    public int QueryLength { get; }

    /// <summary>Selected tile indices, ascending.</summary>
    public IReadOnlyList<int> Tiles { get; }

    /// <summary>Position of each selected tile's first row among the sampled rows of one head.</summary>
    public IReadOnlyList<int> RowStarts { get; }

    /// <summary>Query rows evaluated per (batch, query head).</summary>
    public int RowsPerHead { get; }

    public int TileCount => KernelTiling.TileCount(QueryLength, KernelTiling.QueryTileRows);

    /// <summary>True when every tile is selected (no sampling).</summary>
    public bool IsComplete => Tiles.Count == TileCount;

    /// <summary>First query row of tile <paramref name="tile"/>.</summary>
    public static int FirstRow(int tile) => tile * KernelTiling.QueryTileRows;

    /// <summary>Rows in tile <paramref name="tile"/> (the last may be partial).</summary>
    public int RowsOf(int tile) => Math.Min(KernelTiling.QueryTileRows, QueryLength - FirstRow(tile));

    /// <summary>Every tile of a sequence of <paramref name="queryLength"/> rows.</summary>
    public static QueryTileSample All(int queryLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(queryLength);
        return new(queryLength, Enumerable.Range(0, KernelTiling.TileCount(queryLength, KernelTiling.QueryTileRows)).ToArray());
    }

    /// <summary>
    /// At least <paramref name="rows"/> rows per head, rounded up to whole tiles, evenly strided; null or a count at
    /// or above the sequence takes every tile.
    /// </summary>
    public static QueryTileSample Strided(int queryLength, int? rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(queryLength);
        if (rows is { } r && r < 1)
            throw new ArgumentOutOfRangeException(nameof(rows), r, "The number of sampled query rows per head must be at least 1.");
        int total = KernelTiling.TileCount(queryLength, KernelTiling.QueryTileRows);
        int wanted = rows is { } n ? Math.Min(total, KernelTiling.TileCount(n, KernelTiling.QueryTileRows)) : total;
        if (wanted >= total) return All(queryLength);
        var tiles = new int[wanted];
        for (int i = 0; i < wanted; i++)
            tiles[i] = wanted == 1 ? 0 : (int)((long)i * (total - 1) / (wanted - 1));
        return new(queryLength, tiles);
    }
}
