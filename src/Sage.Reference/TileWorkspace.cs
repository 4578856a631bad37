namespace Sage.Reference;

/// <summary>
/// Per-worker buffers for one tile of <see cref="Rows"/> query rows: the rows widened to float64, their scores over
/// the keys the tile needs, their unnormalised outputs: O(Rows · (KeyLength + HeadDim)) doubles, allocated once per
/// worker and call, never per tile.
/// </summary>
internal sealed class TileWorkspace(int paddedKeys, int headDim, int paddedChannels)
{
    /// <summary>Rows per tile: a multiple of <see cref="ScoreKernel.RowBlock"/>; 32 rows of 4096 scores (1 MiB) stay in L2.</summary>
    public const int Rows = 32;

    public int PaddedKeys { get; } = paddedKeys;

    /// <summary>[Rows][headDim]; rows past the tile's end are zero.</summary>
    public double[] Queries { get; } = new double[Rows * headDim];

    /// <summary>[Rows][PaddedKeys].</summary>
    public double[] Scores { get; } = new double[(long)Rows * paddedKeys];

    /// <summary>[Rows][paddedChannels].</summary>
    public double[] Outputs { get; } = new double[Rows * paddedChannels];

    public int[] Visible { get; } = new int[Rows];

    public double[] Sums { get; } = new double[Rows];
}
