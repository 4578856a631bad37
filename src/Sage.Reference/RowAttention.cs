using System.Numerics.Tensors;

namespace Sage.Reference;

/// <summary>
/// The stages of attention for one query row, in float64, over the keys the row may see: scores
/// s_j = scale · q·k_j, then weights exp(s_j − max s) and their sum (two passes, the maximum subtracted so that no
/// exponential overflows); <see cref="QueryTile"/> forms o = Σ_j w_j v_j / Σ_j w_j for a tile of rows.
/// </summary>
/// <remarks>
/// Non-finite inputs follow IEEE arithmetic through these formulas, nothing is filtered: a NaN in q or in a
/// visible k_j makes the row's maximum NaN and so every probability and output value of the row NaN; a NaN in
/// channel c of a visible v_j makes channel c of the output NaN (0 · NaN is NaN even where p_j underflows to 0).
/// An infinite score gives ∞ − ∞ = NaN in the max subtraction, so that row becomes NaN as well.
/// </remarks>
internal static class RowAttention
{
    /// <summary>s_j = scale · q·k_j for the first <c>scores.Length</c> keys of a contiguous [tokens, d] buffer.</summary>
    public static void ScaledScores(ReadOnlySpan<double> query, ReadOnlySpan<double> keys, double scale, Span<double> scores)
    {
        int d = query.Length;
        for (int j = 0; j < scores.Length; j++)
            scores[j] = scale * TensorPrimitives.Dot(query, keys.Slice(j * d, d));
    }

    /// <summary>
    /// Turns scores into unnormalised weights exp(s_j − max) in place and returns (sum of weights, log-sum-exp).
    /// Dividing by the sum is left to the caller: dividing the d outputs once is cheaper and rounds less than
    /// dividing every weight.
    /// </summary>
    public static (double Sum, double LogSumExp) ExponentiateShifted(Span<double> scores)
    {
        double max = TensorPrimitives.Max<double>(scores); // NaN if any score is NaN
        TensorPrimitives.Subtract(scores, max, scores);
        TensorPrimitives.Exp(scores, scores);
        double sum = TensorPrimitives.Sum<double>(scores);
        return (sum, max + Math.Log(sum));
    }
}
