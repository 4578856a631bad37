using Sage.Numerics;

namespace Sage.Emulation.Preprocessing;

/// <summary>
/// Stage VQuantization (docs/kernel-spec.md §4): per channel over the whole sequence, v_scale = max|V_c| ⊘ V_MAX and
/// v8 = cvt.rn.satfinite.e4m3(V ⊘ v_scale); an all-zero channel has scale 0 and codes +0 (no NaN, unlike the release).
/// </summary>
public static class VQuantization
{
    /// <summary>
    /// Quantises <paramref name="values"/> (<paramref name="length"/> tokens × head dim, token-major) into
    /// <paramref name="codesTransposed"/> (head dim × <paramref name="paddedLength"/>, channel-major, padding = +0).
    /// </summary>
    public static void Quantize(ReadOnlySpan<float> values, int length, int headDim, int paddedLength, float vMax,
        Span<float> scales, Span<byte> codesTransposed)
    {
        for (int c = 0; c < headDim; c++)
        {
            float amax = 0f;
            for (int t = 0; t < length; t++) amax = MathF.Max(amax, MathF.Abs(values[t * headDim + c]));
            float scale = amax / vMax;
            scales[c] = scale;
            var dst = codesTransposed.Slice(c * paddedLength, paddedLength);
            dst.Clear();
            if (scale == 0f) continue;
            for (int t = 0; t < length; t++) dst[t] = Ptx.CvtRnSatfiniteE4M3(values[t * headDim + c] / scale);
        }
    }
}
