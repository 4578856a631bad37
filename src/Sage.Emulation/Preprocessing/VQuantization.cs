using System.Runtime.Intrinsics;
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

    /// <summary>
    /// The same scales and codes, written token-major into <paramref name="codes"/> (padded length × head dim,
    /// padding = +0): <see cref="ChannelScales"/>, then <see cref="EncodeTokens"/> over all tokens.
    /// </summary>
    public static void QuantizeTokenMajor(ReadOnlySpan<float> values, int length, int headDim, int paddedLength, float vMax,
        Span<float> scales, Span<byte> codes)
    {
        ChannelScales(values, length, headDim, vMax, scales);
        codes.Slice(length * headDim, (paddedLength - length) * headDim).Clear();
        EncodeTokens(values, length, headDim, scales, codes);
    }

    /// <summary>v_scale per channel: max|V_c| over the sequence ⊘ V_MAX (the maximum is exact in any order).</summary>
    public static void ChannelScales(ReadOnlySpan<float> values, int length, int headDim, float vMax, Span<float> scales)
    {
        scales.Slice(0, headDim).Clear();
        // Vectors span channels; the maximum per channel does not depend on the order. MathF.Max propagates NaN, and
        // so does Vector512.Max (inputs are finite here anyway: SageInputDomain).
        int vectorChannels = Vector512.IsHardwareAccelerated ? headDim / 16 * 16 : 0;
        for (int t = 0; t < length; t++)
        {
            var row = values.Slice(t * headDim, headDim);
            for (int c = 0; c < vectorChannels; c += 16)
                Vector512.Max(Vector512.Create(scales.Slice(c, 16)), Vector512.Abs(Vector512.Create(row.Slice(c, 16)))).CopyTo(scales.Slice(c, 16));
            for (int c = vectorChannels; c < headDim; c++) scales[c] = MathF.Max(scales[c], MathF.Abs(row[c]));
        }
        for (int c = 0; c < headDim; c++) scales[c] /= vMax;
    }

    /// <summary>
    /// Codes of <paramref name="tokens"/> token rows, token-major: cvt.rn.satfinite.e4m3(V ⊘ v_scale), the same
    /// division and conversion per element as <see cref="Quantize"/>, 16 channels at a time; a zero scale gives +0.
    /// </summary>
    public static void EncodeTokens(ReadOnlySpan<float> values, int tokens, int headDim, ReadOnlySpan<float> scales, Span<byte> codes)
    {
        Span<float> quotients = stackalloc float[headDim];
        for (int t = 0; t < tokens; t++)
        {
            var row = values.Slice(t * headDim, headDim);
            int c = 0;
            if (Vector512.IsHardwareAccelerated)
                for (; c + 16 <= headDim; c += 16)
                    (Vector512.Create(row.Slice(c, 16)) / Vector512.Create(scales.Slice(c, 16))).CopyTo(quotients.Slice(c, 16));
            for (; c < headDim; c++) quotients[c] = row[c] / scales[c];
            var dst = codes.Slice(t * headDim, headDim);
            Ptx.CvtRnSatfiniteE4M3(quotients, dst);
            for (c = 0; c < headDim; c++) if (scales[c] == 0f) dst[c] = 0; // an all-zero channel: scale 0, codes +0
        }
    }
}
