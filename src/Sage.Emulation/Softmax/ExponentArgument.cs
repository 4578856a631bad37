using System.Runtime.Intrinsics;
using Sage.Emulation.Mainloop;
using Sage.Emulation.SpecialFunctions;

namespace Sage.Emulation.Softmax;

/// <summary>
/// Stage ExponentArgument (docs/kernel-spec.md §7.5): the argument x of P = exp2(x) for the scores of one row and one K
/// tile. For a visible key whose qk (<see cref="ScoreDequantization.ScoreScale"/>) is below
/// <see cref="KernelConstants.FusedOffsetLimit"/>, without Q smoothing:
/// <c>x = fma(SHIFTER + acc, qk, (−(SHIFTER ⊗ qk)) ⊖ base)</c>, the offset folded into the score fma; otherwise
/// <c>x = S ⊖ base</c> (masked keys: S = −∞, so x = −∞).
/// </summary>
/// <remarks>
/// Why: the kernel then spends one fma per score where S ⊖ base cost an fma and an add (64 adds less per lane and tile,
/// +3 % sustained at N = 16K on the H100, session 8). The fused x is acc·qk − base − ε with ε the rounding of the offset
/// c = (−shift) ⊖ base: |ε| ≤ ulp(c)/2 ≤ 2^−8 while qk &lt; 2^−7 (|shift| &lt; 3·2^15 and |base| &lt; 2^14 + 9, so
/// |c| &lt; 2^17), a relative change of P below 0.28 % (E4M3 rounds P by up to 6.25 %). From 2^−7 on (huge
/// magnitudes) ε would grow with qk and could take the row maximum of P towards 0, so those keys keep the two-step rule.
/// </remarks>
public static class ExponentArgument
{
    /// <summary>Whether a key with this qk takes the fused rule.</summary>
    public static bool IsFused(float qk, bool smoothQ) => !smoothQ && qk < KernelConstants.FusedOffsetLimit;

    /// <summary>
    /// The scalar definition for one visible key: <paramref name="score"/> is its S (§5), <paramref name="acc"/> its int32
    /// QK sum and <paramref name="qk"/> its cleared scale product.
    /// </summary>
    public static float Of(int acc, float qk, float score, float @base, bool smoothQ)
    {
        if (!IsFused(qk, smoothQ)) return score - @base;
        float f = acc + KernelConstants.ScoreShifter; // exact: an integer below 2^24
        float offset = -(KernelConstants.ScoreShifter * qk) - @base;
        return MathF.FusedMultiplyAdd(f, qk, offset);
    }

    /// <summary>
    /// x for the row's tile: keys 0..visibleKeys−1 are visible (their acc and k_scale are used); the others take
    /// S ⊖ base of their masked S. <paramref name="arguments"/> may not alias <paramref name="scores"/>.
    /// </summary>
    public static void Form(ReadOnlySpan<int> acc, float queryScale, ReadOnlySpan<float> keyScales, bool smoothQ,
        ReadOnlySpan<float> scores, int visibleKeys, float @base, Span<float> arguments) =>
        FormCore(acc, queryScale, keyScales, smoothQ, scores, visibleKeys, @base, arguments, exponentiate: false);

    /// <summary>
    /// P = exp2(x) (<see cref="MufuExp2"/>) for the arguments of <see cref="Form"/>, written to
    /// <paramref name="probabilities"/>: with AVX-512 the 16-lane vectors of x go straight into the 16-lane exp2 model
    /// instead of through memory and a second pass; elsewhere it is Form, then the span exp2. Equal bit for bit.
    /// </summary>
    public static void Exponentiate(ReadOnlySpan<int> acc, float queryScale, ReadOnlySpan<float> keyScales, bool smoothQ,
        ReadOnlySpan<float> scores, int visibleKeys, float @base, Span<float> probabilities)
    {
        int done = FormCore(acc, queryScale, keyScales, smoothQ, scores, visibleKeys, @base, probabilities,
            exponentiate: MufuExp2Vector512.IsSupported);
        var rest = probabilities.Slice(done, scores.Length - done);
        MufuExp2.Evaluate(rest, rest);
    }

    /// <summary>
    /// Writes x for every key; with <paramref name="exponentiate"/> (AVX-512 only) the vector part is written as
    /// exp2(x) already. Returns how many leading elements hold exp2(x) (0 without exponentiate).
    /// </summary>
    private static int FormCore(ReadOnlySpan<int> acc, float queryScale, ReadOnlySpan<float> keyScales, bool smoothQ,
        ReadOnlySpan<float> scores, int visibleKeys, float @base, Span<float> arguments, bool exponentiate)
    {
        int n = scores.Length;
        if (arguments.Length < n)
            throw new ArgumentException($"arguments has {arguments.Length} elements, scores has {n}; expected at least as many", nameof(arguments));
        int visible = Math.Clamp(visibleKeys, 0, n);
        int j = 0;
        if (Vector512.IsHardwareAccelerated && !smoothQ)
        {
            // The same operations per element as Of, both rules evaluated and the fused one selected where qk < 2^−7.
            var qs = Vector512.Create(queryScale);
            var shifter = Vector512.Create(KernelConstants.ScoreShifter);
            var shifterBits = Vector512.Create(KernelConstants.ScoreShifterBits);
            var low = Vector512.Create(~3u);
            var b = Vector512.Create(@base);
            var limit = Vector512.Create(KernelConstants.FusedOffsetLimit);
            for (; j + 16 <= visible; j += 16)
            {
                var qk = ((qs * Vector512.Create(keyScales.Slice(j, 16))).AsUInt32() & low).AsSingle();
                var f = (Vector512.Create(acc.Slice(j, 16)) + shifterBits).AsSingle();
                var fused = Vector512.FusedMultiplyAdd(f, qk, -(shifter * qk) - b);
                var twoStep = Vector512.Create(scores.Slice(j, 16)) - b;
                var x = Vector512.ConditionalSelect(Vector512.LessThan(qk, limit), fused, twoStep);
                (exponentiate ? MufuExp2Vector512.Evaluate(x) : x).CopyTo(arguments.Slice(j, 16));
            }
        }
        int exponentiated = exponentiate ? j : 0;
        for (; j < visible; j++)
            arguments[j] = Of(acc[j], ScoreDequantization.ScoreScale(queryScale, keyScales[j]), scores[j], @base, smoothQ);
        for (; j < n; j++) arguments[j] = scores[j] - @base;
        return exponentiated;
    }
}
