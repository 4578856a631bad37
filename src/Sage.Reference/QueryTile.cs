using System.Numerics.Tensors;

namespace Sage.Reference;

/// <summary>
/// The row stages of <see cref="RowAttention"/> applied to a tile of consecutive query rows at once, with keys in
/// the outer loop: each k_j and v_j is read once per tile instead of once per row, which keeps a long head's K and
/// V (megabytes) from being streamed through the cache for every row. Each row's arithmetic, and its order, is
/// exactly that of <see cref="RowAttention"/>, so tiling changes no bit of the result.
/// </summary>
internal static class QueryTile
{
    /// <summary>Rows per tile: the tile's queries, outputs and a K/V row stay in L1/L2 for head dims up to 256.</summary>
    public const int Rows = 16;

    /// <summary>
    /// scores[r · stride + j] = scale · q_r·k_j for j &lt; visible[r]. Rows are [rows, d] in <paramref name="queries"/>;
    /// keys are [tokens, d].
    /// </summary>
    public static void ScaledScores(ReadOnlySpan<double> queries, int d, ReadOnlySpan<int> visible, ReadOnlySpan<double> keys,
        double scale, Span<double> scores, int stride)
    {
        int rows = visible.Length, keysNeeded = Max(visible);
        for (int j = 0; j < keysNeeded; j++)
        {
            var key = keys.Slice(j * d, d);
            for (int r = 0; r < rows; r++)
                if (j < visible[r])
                    scores[r * stride + j] = scale * TensorPrimitives.Dot(queries.Slice(r * d, d), key);
        }
    }

    /// <summary>output_r = (Σ_j w[r · stride + j] v_j) / sums[r] for rows that see at least one key.</summary>
    public static void WeightedValues(ReadOnlySpan<double> weights, int stride, ReadOnlySpan<int> visible, ReadOnlySpan<double> sums,
        ReadOnlySpan<double> values, Span<double> outputs, int d)
    {
        int rows = visible.Length, keysNeeded = Max(visible);
        outputs[..(rows * d)].Clear();
        for (int j = 0; j < keysNeeded; j++)
        {
            var value = values.Slice(j * d, d);
            for (int r = 0; r < rows; r++)
                if (j < visible[r])
                {
                    var output = outputs.Slice(r * d, d);
                    TensorPrimitives.MultiplyAdd(value, weights[r * stride + j], output, output);
                }
        }
        for (int r = 0; r < rows; r++)
            if (visible[r] > 0)
                TensorPrimitives.Divide(outputs.Slice(r * d, d), sums[r], outputs.Slice(r * d, d));
    }

    private static int Max(ReadOnlySpan<int> visible)
    {
        int max = 0;
        foreach (int v in visible) max = Math.Max(max, v);
        return max;
    }
}
