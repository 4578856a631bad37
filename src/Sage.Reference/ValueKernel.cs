using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sage.Reference;

/// <summary>
/// Unnormalised outputs of a tile of query rows: o[r, c] = Σ_{j &lt; visible[r]} w[r, j] · v[j, c], a register-blocked
/// float64 GEMM (<see cref="ScoreKernel.RowBlock"/> rows × 4 vectors of channels per <see cref="FmaTile"/> call, Vector512 or Vector256 FMA).
/// </summary>
/// <remarks>
/// Each output is the chain acc = fma(w_j, v_j[c], acc) for j = 0, 1, … from acc = 0, whichever kernel (blocked,
/// row tail, vector width or scalar) runs a stretch of it; so, as for <see cref="ScoreKernel"/>, a row's output
/// depends only on its own weights and the values. Keys a row may not see are never touched (a weight of 0 would
/// still turn an invisible NaN or ∞ value into NaN).
/// </remarks>
internal static class ValueKernel
{
    /// <summary>
    /// Accumulates, for rows [0, <paramref name="rows"/>) (a multiple of <see cref="ScoreKernel.RowBlock"/>), into
    /// <paramref name="outputs"/> [rows][channels], which the caller has cleared.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the first layer must not run tier-0 loops
    public static void Accumulate(double[] weights, int stride, ReadOnlySpan<int> visible, int rows, double[] values, int channels, double[] outputs)
    {
        int width = Vector512.IsHardwareAccelerated ? Vector512<double>.Count : Vector256.IsHardwareAccelerated ? Vector256<double>.Count : 1;
        ref double w = ref weights[0];
        ref double v = ref values.Length == 0 ? ref outputs[0] : ref values[0]; // no key: never read
        ref double o = ref outputs[0];
        for (int r = 0; r < rows; r += ScoreKernel.RowBlock)
        {
            int shared = int.MaxValue, longest = 0;
            for (int i = 0; i < ScoreKernel.RowBlock; i++)
            {
                shared = Math.Min(shared, visible[r + i]);
                longest = Math.Max(longest, visible[r + i]);
            }
            if (longest == 0) continue;
            ref double wr = ref Unsafe.Add(ref w, (nint)r * stride);
            ref double or = ref Unsafe.Add(ref o, r * channels);
            for (int c = 0; c < channels; c += 4 * width)
            {
                int span = Math.Min(4 * width, channels - c);
                // 4 rows × 4 vectors of channels over keys [0, shared); scale 1 is exact
                if (span == 4 * width && width == 8)
                    FmaTile.Run<FmaTile.Lanes512, Vector512<double>>(ref wr, stride, ref Unsafe.Add(ref v, c), channels, shared,
                        ref Unsafe.Add(ref or, c), channels, accumulate: true, scale: 1);
                else if (span == 4 * width && width == 4)
                    FmaTile.Run<FmaTile.Lanes256, Vector256<double>>(ref wr, stride, ref Unsafe.Add(ref v, c), channels, shared,
                        ref Unsafe.Add(ref or, c), channels, accumulate: true, scale: 1);
                else
                    for (int i = 0; i < ScoreKernel.RowBlock; i++)
                        Row(ref Unsafe.Add(ref wr, (nint)i * stride), 0, shared, ref Unsafe.Add(ref v, c), channels, span,
                            ref Unsafe.Add(ref or, i * channels + c));
                for (int i = 0; i < ScoreKernel.RowBlock; i++)
                    if (visible[r + i] > shared)
                        Row(ref Unsafe.Add(ref wr, (nint)i * stride), shared, visible[r + i], ref Unsafe.Add(ref v, c), channels, span,
                            ref Unsafe.Add(ref or, i * channels + c));
            }
        }
    }

    /// <summary>One row, <paramref name="span"/> channels, keys [from, to): the tails and the odd channel blocks.</summary>
    private static void Row(ref double w, int from, int to, ref double v, int channels, int span, ref double o)
    {
        for (int c = 0; c < span; c++)
        {
            double acc = Unsafe.Add(ref o, c);
            for (int j = from; j < to; j++)
                acc = Math.FusedMultiplyAdd(Unsafe.Add(ref w, j), Unsafe.Add(ref v, (nint)j * channels + c), acc);
            Unsafe.Add(ref o, c) = acc;
        }
    }
}
