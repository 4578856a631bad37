using System.Runtime.Intrinsics;
using Sage.Emulation.SpecialFunctions;
using Sage.Numerics;

namespace Sage.Emulation.Softmax;

/// <summary>
/// Stage OnlineSoftmax (docs/kernel-spec.md §7) for one row and one K tile: tile max, new running max, rescale factor,
/// base = m − log2(448), P = exp2(x) with exp2 the hardware's ex2.approx.ftz.f32 (<see cref="MufuExp2"/>) and x = S − base
/// or, in the main loop, the fused argument of <see cref="ExponentArgument"/> (§7.5),
/// and P to FP8 (stage PQuantization). The row sum l is not formed here: the tensor core sums the FP8 P codes as one
/// more PV column (<see cref="Mainloop.RowSumColumn"/>).
/// </summary>
public static class OnlineSoftmax
{
    /// <summary>The per-row quantities of one online-softmax step.</summary>
    public readonly record struct Step(float TileMax, float NewMax, float Rescale, float Base);

    /// <summary>
    /// Runs one step. <paramref name="runningMax"/> is updated; <paramref name="probabilities"/> and
    /// <paramref name="codes"/> receive P and its E4M3 codes.
    /// </summary>
    public static Step Update(ReadOnlySpan<float> scores, ref float runningMax, Span<float> probabilities, Span<byte> codes)
    {
        float tileMax = TileMax(scores);
        float mOld = runningMax;
        float mNew = MaxF32(mOld, tileMax);
        bool empty = float.IsNegativeInfinity(mNew);
        float rescale = empty ? 1f : MufuExp2.Evaluate(mOld - mNew);
        float @base = empty ? 0f : mNew - KernelConstants.Log2Of448;
        var step = new Step(tileMax, mNew, rescale, @base);
        Exponentiate(scores, step, probabilities, codes);
        runningMax = mNew;
        return step;
    }

    /// <summary>
    /// Steps 2-4 of <see cref="Update"/> for many rows at once, from each row's tile maximum: the new running maxima
    /// (written to <paramref name="runningMax"/>), rescale factors and bases into <paramref name="steps"/>. The exp2 of
    /// the rescale runs over all rows as one span (<see cref="MufuExp2.Evaluate(ReadOnlySpan{float}, Span{float})"/>,
    /// equal to the scalar model), instead of one scalar evaluation per row.
    /// </summary>
    /// <remarks>
    /// Under <see cref="PEncoding.LogLinear"/> the base is m_new − LOG2_448 rounded toward +∞ (<see cref="BaseRoundedUp"/>,
    /// spec §7 step 4'), so that no key's argument exceeds log2 448 however coarse the float grid of a huge m_new.
    /// </remarks>
    public static void StepRows(ReadOnlySpan<float> tileMax, Span<float> runningMax, Span<Step> steps, PEncoding encoding = PEncoding.Exp2)
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
            float rowBase = encoding == PEncoding.LogLinear ? BaseRoundedUp(mNew) : mNew - KernelConstants.Log2Of448;
            steps[i] = new Step(tileMax[i], mNew, empty ? 1f : differences[i], empty ? 0f : rowBase);
            runningMax[i] = mNew;
        }
    }

    /// <summary>
    /// Steps 5-6 of <see cref="Update"/> for one row, given its step: P = exp2(S − base) and its E4M3 codes (the
    /// two-step rule of §7.5 for every key; the main loop forms its arguments with <see cref="ExponentArgument"/> and
    /// calls <see cref="ExponentiateArguments"/>).
    /// </summary>
    public static void Exponentiate(ReadOnlySpan<float> scores, Step step, Span<float> probabilities, Span<byte> codes)
    {
        MufuExp2.ExponentiateShifted(scores, step.Base, probabilities);
        Quantize(probabilities.Slice(0, scores.Length), codes);
    }

    /// <summary>
    /// P = exp2(x) in place for the §7.5 arguments x of one row (<see cref="ExponentArgument.Form"/>) and the E4M3 codes
    /// of the first <paramref name="count"/>. (The main loop without a trace uses <see cref="ExponentArgument.Exponentiate"/>
    /// and <see cref="Quantize"/>, one pass less.)
    /// </summary>
    public static void ExponentiateArguments(Span<float> arguments, int count, Span<byte> codes)
    {
        var x = arguments.Slice(0, count);
        MufuExp2.Evaluate(x, x);
        Quantize(x, codes);
    }

    /// <summary>
    /// m ⊖ LOG2_448 rounded toward +∞ (the kernel's sub.rp.f32, `__fsub_ru`): the round-to-nearest difference, moved one
    /// ulp up when it fell below the exact one. The rounding error of a float subtraction is itself a float (Knuth's
    /// TwoSum, exact in round-to-nearest arithmetic without overflow), so its sign says which way the rounding went.
    /// </summary>
    public static float BaseRoundedUp(float m)
    {
        float b = -KernelConstants.Log2Of448;
        float s = m + b;
        if (!float.IsFinite(s)) return s;
        float bp = s - m;
        float error = (m - (s - bp)) + (b - bp);
        return error > 0f ? MathF.BitIncrement(s) : s;
    }

    /// <summary>Step 8 (PQuantization): the E4M3 codes of P, cvt.rn.satfinite.e4m3x2.f32.</summary>
    public static void Quantize(ReadOnlySpan<float> probabilities, Span<byte> codes) => Ptx.CvtRnSatfiniteE4M3(probabilities, codes);

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
    /// max.f32: a NaN operand is ignored. The sign of a zero result is unspecified by the spec (it reaches no output);
    /// this returns IEEE maximumNumber's choice.
    /// </summary>
    public static float MaxF32(float a, float b) => float.MaxNumber(a, b);
}
