using System.Runtime.Intrinsics;
using Sage.Emulation.SpecialFunctions;
using Sage.Numerics;

namespace Sage.Emulation.Softmax;

/// <summary>
/// Stage OnlineSoftmax (docs/kernel-spec.md §7) for one row and one K tile: tile max, new running max, rescale factor,
/// base = m − log2(448), P = exp2(S − base) with exp2 the hardware's ex2.approx.ftz.f32 (<see cref="MufuExp2"/>), the lane partial sums in register order, l_t = fma(l_t, rescale, s),
/// and P to FP8 (stage PQuantization).
/// </summary>
public static class OnlineSoftmax
{
    /// <summary>The per-row quantities of one online-softmax step.</summary>
    public readonly record struct Step(float TileMax, float NewMax, float Rescale, float Base);

    /// <summary>
    /// Runs one step. <paramref name="runningMax"/> is updated; <paramref name="laneSums"/> (4 lanes) are rescaled and
    /// increased; <paramref name="probabilities"/> and <paramref name="codes"/> receive P and its E4M3 codes.
    /// </summary>
    public static Step Update(ReadOnlySpan<float> scores, ref float runningMax, Span<float> laneSums,
        Span<float> probabilities, Span<byte> codes)
    {
        float tileMax = TileMax(scores);
        float mOld = runningMax;
        float mNew = MaxF32(mOld, tileMax);
        bool empty = float.IsNegativeInfinity(mNew);
        float rescale = empty ? 1f : MufuExp2.Evaluate(mOld - mNew);
        float @base = empty ? 0f : mNew - KernelConstants.Log2Of448;
        var step = new Step(tileMax, mNew, rescale, @base);
        Exponentiate(scores, step, laneSums, probabilities, codes);
        runningMax = mNew;
        return step;
    }

    /// <summary>
    /// Steps 2-4 of <see cref="Update"/> for many rows at once, from each row's tile maximum: the new running maxima
    /// (written to <paramref name="runningMax"/>), rescale factors and bases into <paramref name="steps"/>. The exp2 of
    /// the rescale runs over all rows as one span (<see cref="MufuExp2.Evaluate(ReadOnlySpan{float}, Span{float})"/>,
    /// equal to the scalar model), instead of one scalar evaluation per row.
    /// </summary>
    public static void StepRows(ReadOnlySpan<float> tileMax, Span<float> runningMax, Span<Step> steps)
    {
        int rows = tileMax.Length;
        if (runningMax.Length < rows || steps.Length < rows)
            throw new ArgumentException($"runningMax and steps hold {runningMax.Length} and {steps.Length}; expected ≥ {rows}.", nameof(steps));
        Span<float> differences = rows <= KernelTiling.QueryTileRows ? stackalloc float[rows] : new float[rows];
        for (int i = 0; i < rows; i++) differences[i] = runningMax[i] - MaxF32(runningMax[i], tileMax[i]);
        MufuExp2.Evaluate(differences, differences);
        for (int i = 0; i < rows; i++)
        {
            float mNew = MaxF32(runningMax[i], tileMax[i]);
            bool empty = float.IsNegativeInfinity(mNew);
            steps[i] = new Step(tileMax[i], mNew, empty ? 1f : differences[i], empty ? 0f : mNew - KernelConstants.Log2Of448);
            runningMax[i] = mNew;
        }
    }

    /// <summary>
    /// Steps 5-8 of <see cref="Update"/> for one row, given its step: P = exp2(S − base), its E4M3 codes, and the lane
    /// sums l_t = fma(l_t, rescale, s_t).
    /// </summary>
    public static void Exponentiate(ReadOnlySpan<float> scores, Step step, Span<float> laneSums, Span<float> probabilities, Span<byte> codes)
    {
        MufuExp2.ExponentiateShifted(scores, step.Base, probabilities);
        Ptx.CvtRnSatfiniteE4M3(probabilities.Slice(0, scores.Length), codes);
        Span<float> partial = stackalloc float[KernelTiling.LanesPerRow];
        LanePartialSums(probabilities, partial);
        for (int t = 0; t < KernelTiling.LanesPerRow; t++)
            laneSums[t] = MathF.FusedMultiplyAdd(laneSums[t], step.Rescale, partial[t]);
    }

    /// <summary>
    /// The fold of <see cref="MaxF32"/> over the scores. maximumNumber is associative and commutative (NaN ignored,
    /// −0 &lt; +0), so the 16-lane partial maxima give the same value as the sequential fold.
    /// </summary>
    public static float TileMax(ReadOnlySpan<float> scores)
    {
        int j = 0;
        float max = float.NegativeInfinity;
        if (Vector512.IsHardwareAccelerated && scores.Length >= 16)
        {
            var m = Vector512.Create(float.NegativeInfinity);
            for (; j + 16 <= scores.Length; j += 16) m = Vector512.MaxNumber(m, Vector512.Create(scores.Slice(j, 16)));
            // The 16 lanes folded pairwise (any grouping gives the same value).
            var m4 = Vector128.MaxNumber(Vector256.MaxNumber(m.GetLower(), m.GetUpper()).GetLower(),
                Vector256.MaxNumber(m.GetLower(), m.GetUpper()).GetUpper());
            max = MaxF32(MaxF32(m4[0], m4[1]), MaxF32(m4[2], m4[3]));
        }
        for (; j < scores.Length; j++) max = MaxF32(max, scores[j]);
        return max;
    }

    /// <summary>
    /// Each lane t sums its columns 8i+2t, 8i+2t+1 for i = 0..15 in that order, starting from 0.
    /// </summary>
    public static void LanePartialSums(ReadOnlySpan<float> probabilities, Span<float> partial)
    {
        if (Vector256.IsHardwareAccelerated && probabilities.Length % 8 == 0 && partial.Length >= KernelTiling.LanesPerRow)
        {
            // The four lanes side by side: each group of 8 columns is split into the lanes' even and odd columns,
            // added in the same order as below (even, then odd), so every lane's sum is the same.
            var sums = Vector128<float>.Zero;
            var order = Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);
            for (int i = 0; i < probabilities.Length; i += 8)
            {
                var split = Vector256.Shuffle(Vector256.Create(probabilities.Slice(i, 8)), order);
                sums += split.GetLower();
                sums += split.GetUpper();
            }
            sums.CopyTo(partial);
            return;
        }
        for (int t = 0; t < KernelTiling.LanesPerRow; t++)
        {
            float s = 0f;
            for (int i = 0; i < probabilities.Length; i += 8)
            {
                s += probabilities[i + 2 * t];
                s += probabilities[i + 2 * t + 1];
            }
            partial[t] = s;
        }
    }

    /// <summary>
    /// max.f32: a NaN operand is ignored. The sign of a zero result is unspecified by the spec (it reaches no output);
    /// this returns IEEE maximumNumber's choice.
    /// </summary>
    public static float MaxF32(float a, float b) => float.MaxNumber(a, b);
}
