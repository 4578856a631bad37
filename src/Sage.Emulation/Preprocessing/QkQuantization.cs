using System.Runtime.Intrinsics;
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
            int c = 0;
            if (Vector512.IsHardwareAccelerated && headDim >= 16)
            {
                // max is exact and order-free: 16 partial maxima, then their fold (Max propagates NaN as MathF.Max).
                var m = Vector512.Create(amax);
                for (; c + 16 <= headDim; c += 16) m = Vector512.Max(m, Vector512.Abs(Vector512.Create(row.Slice(c, 16))));
                for (int lane = 0; lane < 16; lane++) amax = MathF.Max(amax, m[lane]);
            }
            for (; c < headDim; c++) amax = MathF.Max(amax, MathF.Abs(row[c]));
            groupScales[g] = amax;
        }
        float qmax = KernelConstants.QkMax(format);
        for (int g = 0; g < groupScales.Length; g++) groupScales[g] /= qmax;
        // Pass 2: round each value with the exact quotient x ⊘ scale.
        Span<float> quotients = stackalloc float[headDim];
        for (int r = 0; r < rows; r++)
        {
            float scale = groupScales[groupOf(r)];
            var row = values.Slice(r * headDim, headDim);
            var dst = quantized.Slice(r * headDim, headDim);
            if (scale == 0f) { dst.Clear(); continue; }
            if (format == QkFormat.Int8 && Vector512.IsHardwareAccelerated && headDim % 16 == 0)
            {
                // The same exact quotient per element, then the span conversion (tested equal to the scalar one).
                var divisor = Vector512.Create(scale);
                for (int c = 0; c < headDim; c += 16)
                    (Vector512.Create(row.Slice(c, 16)) / divisor).CopyTo(quotients.Slice(c, 16));
                Ptx.CvtRniSatS8(quotients.Slice(0, headDim), dst);
            }
            else if (format == QkFormat.Int8)
                for (int c = 0; c < headDim; c++) dst[c] = Ptx.CvtRniSatS8(row[c] / scale);
            else
                for (int c = 0; c < headDim; c++) dst[c] = Math.Max((sbyte)-7, Ptx.CvtRniSatS4(row[c] / scale));
        }
    }
}
