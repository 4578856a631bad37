using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sage.Reference;

/// <summary>
/// Unnormalised outputs of a tile of query rows: o[r, c] = Σ_{j &lt; visible[r]} w[r, j] · v[j, c], a register-blocked
/// float64 GEMM micro-kernel (<see cref="ScoreKernel.RowBlock"/> rows × 4 vectors of channels, Vector512 or Vector256 FMA).
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
                if (span == 4 * width && width == 8)
                    Block512(ref wr, stride, shared, ref Unsafe.Add(ref v, c), channels, ref Unsafe.Add(ref or, c));
                else if (span == 4 * width && width == 4)
                    Block256(ref wr, stride, shared, ref Unsafe.Add(ref v, c), channels, ref Unsafe.Add(ref or, c));
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

    /// <summary>4 rows × 32 channels over keys [0, keys): 16 accumulators of 8 doubles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the first layer must not run tier-0 loops
    private static void Block512(ref double w, int stride, int keys, ref double v, int channels, ref double o)
    {
        ref double o1 = ref Unsafe.Add(ref o, channels), o2 = ref Unsafe.Add(ref o, 2 * channels), o3 = ref Unsafe.Add(ref o, 3 * channels);
        Vector512<double> a00 = Vector512.LoadUnsafe(ref o), a01 = Vector512.LoadUnsafe(ref o, 8), a02 = Vector512.LoadUnsafe(ref o, 16), a03 = Vector512.LoadUnsafe(ref o, 24);
        Vector512<double> a10 = Vector512.LoadUnsafe(ref o1), a11 = Vector512.LoadUnsafe(ref o1, 8), a12 = Vector512.LoadUnsafe(ref o1, 16), a13 = Vector512.LoadUnsafe(ref o1, 24);
        Vector512<double> a20 = Vector512.LoadUnsafe(ref o2), a21 = Vector512.LoadUnsafe(ref o2, 8), a22 = Vector512.LoadUnsafe(ref o2, 16), a23 = Vector512.LoadUnsafe(ref o2, 24);
        Vector512<double> a30 = Vector512.LoadUnsafe(ref o3), a31 = Vector512.LoadUnsafe(ref o3, 8), a32 = Vector512.LoadUnsafe(ref o3, 16), a33 = Vector512.LoadUnsafe(ref o3, 24);
        ref double w1 = ref Unsafe.Add(ref w, stride), w2 = ref Unsafe.Add(ref w, 2 * stride), w3 = ref Unsafe.Add(ref w, 3 * stride);
        for (int j = 0; j < keys; j++)
        {
            ref double vj = ref Unsafe.Add(ref v, (nint)j * channels);
            var v0 = Vector512.LoadUnsafe(ref vj);
            var v1 = Vector512.LoadUnsafe(ref vj, 8);
            var v2 = Vector512.LoadUnsafe(ref vj, 16);
            var v3 = Vector512.LoadUnsafe(ref vj, 24);
            var b = Vector512.Create(Unsafe.Add(ref w, j));
            a00 = Vector512.FusedMultiplyAdd(b, v0, a00); a01 = Vector512.FusedMultiplyAdd(b, v1, a01);
            a02 = Vector512.FusedMultiplyAdd(b, v2, a02); a03 = Vector512.FusedMultiplyAdd(b, v3, a03);
            b = Vector512.Create(Unsafe.Add(ref w1, j));
            a10 = Vector512.FusedMultiplyAdd(b, v0, a10); a11 = Vector512.FusedMultiplyAdd(b, v1, a11);
            a12 = Vector512.FusedMultiplyAdd(b, v2, a12); a13 = Vector512.FusedMultiplyAdd(b, v3, a13);
            b = Vector512.Create(Unsafe.Add(ref w2, j));
            a20 = Vector512.FusedMultiplyAdd(b, v0, a20); a21 = Vector512.FusedMultiplyAdd(b, v1, a21);
            a22 = Vector512.FusedMultiplyAdd(b, v2, a22); a23 = Vector512.FusedMultiplyAdd(b, v3, a23);
            b = Vector512.Create(Unsafe.Add(ref w3, j));
            a30 = Vector512.FusedMultiplyAdd(b, v0, a30); a31 = Vector512.FusedMultiplyAdd(b, v1, a31);
            a32 = Vector512.FusedMultiplyAdd(b, v2, a32); a33 = Vector512.FusedMultiplyAdd(b, v3, a33);
        }
        a00.StoreUnsafe(ref o); a01.StoreUnsafe(ref o, 8); a02.StoreUnsafe(ref o, 16); a03.StoreUnsafe(ref o, 24);
        a10.StoreUnsafe(ref o1); a11.StoreUnsafe(ref o1, 8); a12.StoreUnsafe(ref o1, 16); a13.StoreUnsafe(ref o1, 24);
        a20.StoreUnsafe(ref o2); a21.StoreUnsafe(ref o2, 8); a22.StoreUnsafe(ref o2, 16); a23.StoreUnsafe(ref o2, 24);
        a30.StoreUnsafe(ref o3); a31.StoreUnsafe(ref o3, 8); a32.StoreUnsafe(ref o3, 16); a33.StoreUnsafe(ref o3, 24);
    }

    /// <summary>4 rows × 16 channels over keys [0, keys): 16 accumulators of 4 doubles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the first layer must not run tier-0 loops
    private static void Block256(ref double w, int stride, int keys, ref double v, int channels, ref double o)
    {
        ref double o1 = ref Unsafe.Add(ref o, channels), o2 = ref Unsafe.Add(ref o, 2 * channels), o3 = ref Unsafe.Add(ref o, 3 * channels);
        Vector256<double> a00 = Vector256.LoadUnsafe(ref o), a01 = Vector256.LoadUnsafe(ref o, 4), a02 = Vector256.LoadUnsafe(ref o, 8), a03 = Vector256.LoadUnsafe(ref o, 12);
        Vector256<double> a10 = Vector256.LoadUnsafe(ref o1), a11 = Vector256.LoadUnsafe(ref o1, 4), a12 = Vector256.LoadUnsafe(ref o1, 8), a13 = Vector256.LoadUnsafe(ref o1, 12);
        Vector256<double> a20 = Vector256.LoadUnsafe(ref o2), a21 = Vector256.LoadUnsafe(ref o2, 4), a22 = Vector256.LoadUnsafe(ref o2, 8), a23 = Vector256.LoadUnsafe(ref o2, 12);
        Vector256<double> a30 = Vector256.LoadUnsafe(ref o3), a31 = Vector256.LoadUnsafe(ref o3, 4), a32 = Vector256.LoadUnsafe(ref o3, 8), a33 = Vector256.LoadUnsafe(ref o3, 12);
        ref double w1 = ref Unsafe.Add(ref w, stride), w2 = ref Unsafe.Add(ref w, 2 * stride), w3 = ref Unsafe.Add(ref w, 3 * stride);
        for (int j = 0; j < keys; j++)
        {
            ref double vj = ref Unsafe.Add(ref v, (nint)j * channels);
            var v0 = Vector256.LoadUnsafe(ref vj);
            var v1 = Vector256.LoadUnsafe(ref vj, 4);
            var v2 = Vector256.LoadUnsafe(ref vj, 8);
            var v3 = Vector256.LoadUnsafe(ref vj, 12);
            var b = Vector256.Create(Unsafe.Add(ref w, j));
            a00 = Vector256.FusedMultiplyAdd(b, v0, a00); a01 = Vector256.FusedMultiplyAdd(b, v1, a01);
            a02 = Vector256.FusedMultiplyAdd(b, v2, a02); a03 = Vector256.FusedMultiplyAdd(b, v3, a03);
            b = Vector256.Create(Unsafe.Add(ref w1, j));
            a10 = Vector256.FusedMultiplyAdd(b, v0, a10); a11 = Vector256.FusedMultiplyAdd(b, v1, a11);
            a12 = Vector256.FusedMultiplyAdd(b, v2, a12); a13 = Vector256.FusedMultiplyAdd(b, v3, a13);
            b = Vector256.Create(Unsafe.Add(ref w2, j));
            a20 = Vector256.FusedMultiplyAdd(b, v0, a20); a21 = Vector256.FusedMultiplyAdd(b, v1, a21);
            a22 = Vector256.FusedMultiplyAdd(b, v2, a22); a23 = Vector256.FusedMultiplyAdd(b, v3, a23);
            b = Vector256.Create(Unsafe.Add(ref w3, j));
            a30 = Vector256.FusedMultiplyAdd(b, v0, a30); a31 = Vector256.FusedMultiplyAdd(b, v1, a31);
            a32 = Vector256.FusedMultiplyAdd(b, v2, a32); a33 = Vector256.FusedMultiplyAdd(b, v3, a33);
        }
        a00.StoreUnsafe(ref o); a01.StoreUnsafe(ref o, 4); a02.StoreUnsafe(ref o, 8); a03.StoreUnsafe(ref o, 12);
        a10.StoreUnsafe(ref o1); a11.StoreUnsafe(ref o1, 4); a12.StoreUnsafe(ref o1, 8); a13.StoreUnsafe(ref o1, 12);
        a20.StoreUnsafe(ref o2); a21.StoreUnsafe(ref o2, 4); a22.StoreUnsafe(ref o2, 8); a23.StoreUnsafe(ref o2, 12);
        a30.StoreUnsafe(ref o3); a31.StoreUnsafe(ref o3, 4); a32.StoreUnsafe(ref o3, 8); a33.StoreUnsafe(ref o3, 12);
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
