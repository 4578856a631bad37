namespace Sage;

/// <summary>
/// Sizes of one attention call. Grouped-query attention: <see cref="QueryHeads"/> is a multiple of
/// <see cref="KeyValueHeads"/>, and query head h reads key/value head h / (QueryHeads / KeyValueHeads).
/// </summary>
public readonly record struct AttentionShape(
    int Batch,
    int QueryHeads,
    int KeyValueHeads,
    int QueryLength,
    int KeyLength,
    int HeadDim)
{
    /// <summary>Query heads that share one key/value head.</summary>
    public int GroupSize => QueryHeads / KeyValueHeads;

    /// <summary>Shape of Q (or of the output) in the given layout.</summary>
    public int[] QueryShape(TensorLayout layout) => Dims(layout, QueryHeads, QueryLength);

    /// <summary>Shape of K and V in the given layout.</summary>
    public int[] KeyValueShape(TensorLayout layout) => Dims(layout, KeyValueHeads, KeyLength);

    /// <summary>Shape of the log-sum-exp output: always [batch, query heads, query length].</summary>
    public int[] LseShape => [Batch, QueryHeads, QueryLength];

    private int[] Dims(TensorLayout layout, int heads, int tokens) => layout switch
    {
        TensorLayout.HND => [Batch, heads, tokens, HeadDim],
        TensorLayout.NHD => [Batch, tokens, heads, HeadDim],
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, "Unknown layout."),
    };

    public override string ToString() =>
        $"B={Batch} Hq={QueryHeads} Hkv={KeyValueHeads} Nq={QueryLength} Nk={KeyLength} d={HeadDim}";
}
