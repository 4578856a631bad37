namespace Sage.Reference;

/// <summary>
/// Where the tokens of one (batch, head) live in a flat row-major tensor of either layout:
/// token t of the head starts at <c>Start(b, h) + t · TokenStride</c>, and its head_dim values are contiguous.
/// </summary>
internal readonly record struct HeadAddressing(TensorLayout Layout, int Heads, int Tokens, int HeadDim)
{
    /// <summary>Distance between consecutive tokens of one head: d in HND, heads · d in NHD.</summary>
    public long TokenStride => Layout == TensorLayout.HND ? HeadDim : (long)Heads * HeadDim;

    /// <summary>Flat index of token 0, channel 0 of head <paramref name="head"/> in batch <paramref name="batch"/>.</summary>
    public long Start(int batch, int head) => Layout == TensorLayout.HND
        ? ((long)batch * Heads + head) * Tokens * HeadDim
        : (long)batch * Tokens * Heads * HeadDim + (long)head * HeadDim;

    /// <summary>Copies the head's tokens, widened to float64, into a contiguous [tokens, d] buffer.</summary>
    public void Gather(ReadOnlySpan<float> source, int batch, int head, Span<double> destination)
    {
        long start = Start(batch, head), stride = TokenStride;
        for (int t = 0; t < Tokens; t++)
        {
            var token = source.Slice(checked((int)(start + t * stride)), HeadDim);
            var target = destination.Slice(t * HeadDim, HeadDim);
            for (int c = 0; c < token.Length; c++) target[c] = token[c]; // float → double is exact
        }
    }

    /// <summary>Writes one token's d values into its place in a flat tensor of this layout.</summary>
    public void Scatter(ReadOnlySpan<double> token, int batch, int head, int t, Span<double> destination) =>
        token.CopyTo(destination.Slice(checked((int)(Start(batch, head) + t * TokenStride)), HeadDim));
}
