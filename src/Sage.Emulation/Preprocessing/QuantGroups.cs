namespace Sage.Emulation.Preprocessing;

/// <summary>
/// Which Q rows and K tokens share a quantisation scale (docs/kernel-spec.md §3). Per-thread groups are the rows and
/// columns one lane holds in the wgmma m64nNk32 accumulator: rows {16s+g, 16s+g+8}, columns {8i+2t, 8i+2t+1}.
/// </summary>
public static class QuantGroups
{
    /// <summary>Q groups in one 128-row query tile.</summary>
    public static int QueryGroupsPerTile(QuantGranularity g) => g switch
    {
        QuantGranularity.PerThread => KernelTiling.QueryTileRows / KernelTiling.WarpRows * 8,
        QuantGranularity.PerWarp => KernelTiling.QueryTileRows / KernelTiling.WarpRows,
        _ => KernelTiling.QueryTileRows / KernelTiling.WarpgroupRows,
    };

    /// <summary>Group of row <paramref name="row"/> (0..127) of a query tile.</summary>
    public static int QueryGroup(QuantGranularity g, int row) => g switch
    {
        QuantGranularity.PerThread => row / KernelTiling.WarpRows * 8 + row % 8,
        QuantGranularity.PerWarp => row / KernelTiling.WarpRows,
        _ => row / KernelTiling.WarpgroupRows,
    };

    /// <summary>K groups in one 128-token key tile: 4 per-thread groups (one per lane of a quad), else 1.</summary>
    public static int KeyGroupsPerTile(QuantGranularity g) => g == QuantGranularity.PerThread ? KernelTiling.LanesPerRow : 1;

    /// <summary>Group of token <paramref name="token"/> (0..127) of a key tile: lane t = (n mod 8) / 2 for per-thread.</summary>
    public static int KeyGroup(QuantGranularity g, int token) => g == QuantGranularity.PerThread ? (token & 7) >> 1 : 0;

    /// <summary>Lane of the quad that holds column <paramref name="column"/> of an accumulator row.</summary>
    public static int LaneOfColumn(int column) => (column & 7) >> 1;
}
