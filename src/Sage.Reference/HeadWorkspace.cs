namespace Sage.Reference;

/// <summary>Per-worker buffers: one head's K and V (contiguous, float64) and one tile of query rows with their
/// scores and outputs: O(KeyLength · (HeadDim + tile rows)) doubles.</summary>
internal sealed class HeadWorkspace(int keyLength, int headDim)
{
    public double[] Keys { get; } = new double[(long)keyLength * headDim];
    public double[] Values { get; } = new double[(long)keyLength * headDim];
    public double[] Queries { get; } = new double[QueryTile.Rows * headDim];
    public int[] Visible { get; } = new int[QueryTile.Rows];
    public double[] Scores { get; } = new double[(long)QueryTile.Rows * keyLength];
    public double[] Sums { get; } = new double[QueryTile.Rows];
    public double[] Outputs { get; } = new double[QueryTile.Rows * headDim];
}
