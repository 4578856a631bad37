using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Sage.Reference;

/// <summary>
/// The stages of attention for one query row, in float64, over the keys the row may see: scores
/// s_j = scale · q·k_j (<see cref="ScoreKernel"/>'s chain), then weights exp(s_j − max s) and their sum (two passes,
/// the maximum subtracted so that no exponential overflows); <see cref="ValueKernel"/> forms o = Σ_j w_j v_j, divided
/// by Σ_j w_j afterwards.
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
            scores[j] = ScoreKernel.Score(query, keys.Slice(j * d, d), scale);
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
        double sum = Sum(scores);
        return (sum, max + Math.Log(sum));
    }

    /// <summary>
    /// Σ x in a fixed order that depends only on the length: eight running partial sums (lane i takes x_i, x_{i+8}, …),
    /// added pairwise at the end, then the tail. Unlike a library sum it does not depend on the span's address, so
    /// a row gives the same bits wherever its scores lie; its error is that of 8 interleaved sequential sums.
    /// </summary>
    public static double Sum(ReadOnlySpan<double> x)
    {
        int i = 0;
        double total;
        if (Vector256.IsHardwareAccelerated && x.Length >= 8)
        {
            Vector256<double> low = Vector256<double>.Zero, high = Vector256<double>.Zero;
            for (; i <= x.Length - 8; i += 8)
            {
                low += Vector256.Create(x.Slice(i, 4));
                high += Vector256.Create(x.Slice(i + 4, 4));
            }
            total = Pairwise(low[0], low[1], low[2], low[3], high[0], high[1], high[2], high[3]);
        }
        else
        {
            Span<double> lanes = stackalloc double[8];
            for (; i <= x.Length - 8; i += 8)
                for (int l = 0; l < 8; l++) lanes[l] += x[i + l];
            total = Pairwise(lanes[0], lanes[1], lanes[2], lanes[3], lanes[4], lanes[5], lanes[6], lanes[7]);
        }
        for (; i < x.Length; i++) total += x[i];
        return total;
    }

    private static double Pairwise(double a, double b, double c, double d, double e, double f, double g, double h) =>
        ((a + e) + (b + f)) + ((c + g) + (d + h));
}
