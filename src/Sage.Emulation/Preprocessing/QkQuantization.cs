using Sage.Numerics;

namespace Sage.Emulation.Preprocessing;

/// <summary>
/// Stage QkQuantization (docs/kernel-spec.md §3): scale = max|x| ⊘ 127 (or 7) per group, q = cvt.rni.sat(x ⊘ scale)
/// with exact division; a zero scale gives q = 0. Rows/tokens (each <c>headDim</c> wide) are assigned to groups by
/// <c>groupOf</c>; padded rows must already be zero.
/// </summary>
public static class QkQuantization
{
    /// <summary>Quantises <paramref name="rows"/> rows of <paramref name="values"/>; writes per-group scales (unscaled).</summary>
    public static void Quantize(QkFormat format, ReadOnlySpan<float> values, int rows, int headDim,
        Func<int, int> groupOf, Span<float> groupScales, Span<sbyte> quantized)
    {
        groupScales.Clear();
        // Pass 1: group maxima (exact; order irrelevant).
        for (int r = 0; r < rows; r++)
        {
            int g = groupOf(r);
            float amax = groupScales[g];
            var row = values.Slice(r * headDim, headDim);
            for (int c = 0; c < headDim; c++) amax = MathF.Max(amax, MathF.Abs(row[c]));
            groupScales[g] = amax;
        }
        float qmax = KernelConstants.QkMax(format);
        for (int g = 0; g < groupScales.Length; g++) groupScales[g] /= qmax;
        // Pass 2: round each value with the exact quotient x ⊘ scale.
        for (int r = 0; r < rows; r++)
        {
            float scale = groupScales[groupOf(r)];
            var row = values.Slice(r * headDim, headDim);
            var dst = quantized.Slice(r * headDim, headDim);
            if (scale == 0f) { dst.Clear(); continue; }
            if (format == QkFormat.Int8)
                for (int c = 0; c < headDim; c++) dst[c] = Ptx.CvtRniSatS8(row[c] / scale);
            else
                for (int c = 0; c < headDim; c++) dst[c] = Math.Max((sbyte)-7, Ptx.CvtRniSatS4(row[c] / scale));
        }
    }
}
