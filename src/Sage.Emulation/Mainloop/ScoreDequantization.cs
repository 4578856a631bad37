using System.Runtime.Intrinsics;

namespace Sage.Emulation.Mainloop;

/// <summary>
/// Stage ScoreDequantization (docs/kernel-spec.md §5.2–5.4): S = cvt.rn.f32.s32(acc) ⊗ (q_scale ⊗ k_scale), or
/// fma(acc, q_scale ⊗ k_scale, ΔS) with Q smoothing; masked and padded keys become −∞.
/// </summary>
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
            // The same operations per element: exact int→fp32 (|acc| < 2^24), q_scale ⊗ k_scale, then ⊗ or one fma.
            var qs = Vector512.Create(queryScale);
            for (; j + 16 <= visible; j += 16)
            {
                var s = Vector512.ConvertToSingle(Vector512.Create(acc.Slice(j, 16)));
                var scale = qs * Vector512.Create(keyScales.Slice(j, 16));
                (deltaS.IsEmpty ? s * scale : Vector512.FusedMultiplyAdd(s, scale, Vector512.Create(deltaS.Slice(j, 16))))
                    .CopyTo(scores.Slice(j, 16));
            }
        }
        if (deltaS.IsEmpty)
            for (; j < visible; j++) scores[j] = (float)acc[j] * (queryScale * keyScales[j]);
        else
            for (; j < visible; j++) scores[j] = MathF.FusedMultiplyAdd((float)acc[j], queryScale * keyScales[j], deltaS[j]);
        scores.Slice(visible).Fill(float.NegativeInfinity);
    }
}
