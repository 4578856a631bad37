using System.Runtime.Intrinsics;

namespace Sage.Emulation.Mainloop;

/// <summary>
/// Stage ScoreDequantization (docs/kernel-spec.md §5.2–5.4). Per visible key, with SHIFTER = 1.5·2^23
/// (<see cref="KernelConstants.ScoreShifter"/>) and qk = <see cref="ScoreScale"/>(q_scale, k_scale):
/// S = fma(SHIFTER + acc, qk, −(SHIFTER ⊗ qk)), or fma(acc, qk, ΔS) with Q smoothing; masked and padded keys become −∞.
/// </summary>
/// <remarks>
/// Why this form: the kernel gets acc as the float SHIFTER + acc by starting its integer accumulators from 0x4B400000
/// and folds the subtraction of SHIFTER into the one fma. qk has its two lowest significand bits cleared, so
/// SHIFTER ⊗ qk = 3·2^22·qk is exact and the fma's exact value f·qk − SHIFTER·qk is acc·qk: S is acc·qk rounded once,
/// the value of the plain product (the tests check S = (float)acc ⊗ qk bit for bit).
/// </remarks>
public static class ScoreDequantization
{
    /// <param name="acc">Int32 accumulator of one row for the tile's 128 keys.</param>
    /// <param name="queryScale">The row's q_scale (LOG2E_SCALE folded in).</param>
    /// <param name="keyScales">k_scale of each of the tile's keys.</param>
    /// <param name="deltaS">ΔS of the row's Q-smoothing block for the tile's keys, or empty without Q smoothing.</param>
    /// <param name="visibleKeys">Keys 0..visibleKeys−1 of the tile are visible to this row (≤ 0: none).</param>
    /// <param name="scores">The row's 128 scores (output).</param>
    public static void Dequantize(ReadOnlySpan<int> acc, float queryScale, ReadOnlySpan<float> keyScales,
        ReadOnlySpan<float> deltaS, int visibleKeys, Span<float> scores)
    {
        int n = scores.Length;
        int visible = Math.Clamp(visibleKeys, 0, n);
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            // The same operations per element as Score: q_scale ⊗ k_scale, the two low bits cleared, then the shifter
            // form (f from its bits, SHIFTER ⊗ qk, one fma) or, with ΔS, one fma on the exact acc.
            var qs = Vector512.Create(queryScale);
            var shifter = Vector512.Create(KernelConstants.ScoreShifter);
            var shifterBits = Vector512.Create(KernelConstants.ScoreShifterBits);
            var low = Vector512.Create(~3u);
            for (; j + 16 <= visible; j += 16)
            {
                var a = Vector512.Create(acc.Slice(j, 16));
                var qk = ((qs * Vector512.Create(keyScales.Slice(j, 16))).AsUInt32() & low).AsSingle();
                var s = deltaS.IsEmpty
                    ? Vector512.FusedMultiplyAdd((a + shifterBits).AsSingle(), qk, -(shifter * qk))
                    : Vector512.FusedMultiplyAdd(Vector512.ConvertToSingle(a), qk, Vector512.Create(deltaS.Slice(j, 16)));
                s.CopyTo(scores.Slice(j, 16));
            }
        }
        for (; j < visible; j++)
            scores[j] = Score(acc[j], ScoreScale(queryScale, keyScales[j]), deltaS.IsEmpty ? null : deltaS[j]);
        scores.Slice(visible).Fill(float.NegativeInfinity);
    }

    /// <summary>
    /// qk of §5.2: q_scale ⊗ k_scale (q first) with the two lowest significand bits cleared, so that SHIFTER ⊗ qk is
    /// exact (3·qk then fits the 24-bit significand; subnormal products too). A relative change below 2^−21.
    /// </summary>
    public static float ScoreScale(float queryScale, float keyScale) =>
        BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(queryScale * keyScale) & ~3u);

    /// <summary>
    /// The scalar definition of one visible score: fma(SHIFTER + acc, qk, −(SHIFTER ⊗ qk)), or fma(acc, qk, ΔS) with
    /// Q smoothing (<paramref name="deltaS"/> given). acc must satisfy |acc| &lt; 2^22 (every INT8/INT4 QK sum does).
    /// </summary>
    public static float Score(int acc, float qk, float? deltaS)
    {
        if (deltaS is float ds) return MathF.FusedMultiplyAdd(acc, qk, ds);
        float f = acc + KernelConstants.ScoreShifter; // exact: an integer below 2^24
        return MathF.FusedMultiplyAdd(f, qk, -(KernelConstants.ScoreShifter * qk));
    }
}
