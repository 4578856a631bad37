using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sage.Reference;

/// <summary>
/// Scaled scores of a tile of query rows against packed key panels: s[r, j] = scale · (q_r · k_j), a register-blocked
/// float64 GEMM micro-kernel (<see cref="RowBlock"/> rows × one 32-key panel per call, Vector512 or Vector256 FMA).
/// </summary>
/// <remarks>
/// Every dot product is the same chain whatever the vector width, the tile or the row's position in it:
/// acc = fma(q_c, k_c, acc) for c = 0, 1, …, d − 1 from acc = 0, then one multiplication by the scale. Each score
/// therefore depends only on its own q and k (a row gives the same bits alone or in any tile, on any machine with
/// IEEE fma), and its error is that of a sequential float64 sum of d exact products.
/// </remarks>
internal static class ScoreKernel
{
    /// <summary>Query rows per micro-kernel call; tiles hold a multiple of it (missing rows are zero).</summary>
    public const int RowBlock = 4;

    /// <summary>
    /// Scores of rows [0, <paramref name="rows"/>) (a multiple of <see cref="RowBlock"/>) for the panels covering keys
    /// [0, <paramref name="keys"/>), into <paramref name="scores"/> [rows][stride].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the first layer must not run tier-0 loops
    public static void Compute(double[] queries, int d, int rows, double[] panels, int keys, double scale, double[] scores, int stride)
    {
        const int block = PackedKeyValues.KeyBlock;
        int panelCount = (keys + block - 1) / block;
        ref double q = ref queries[0];
        ref double s = ref scores[0];
        for (int p = 0; p < panelCount; p++)
        {
            ref double panel = ref panels[p * d * block];
            for (int r = 0; r < rows; r += RowBlock)
            {
                ref double qr = ref Unsafe.Add(ref q, r * d);
                ref double sr = ref Unsafe.Add(ref s, (nint)r * stride + p * block);
                if (Vector512.IsHardwareAccelerated)
                    Block512(ref qr, d, ref panel, scale, ref sr, stride);
                else if (Vector256.IsHardwareAccelerated)
                {
                    Block256(ref qr, d, ref panel, scale, ref sr, stride);
                    Block256(ref qr, d, ref Unsafe.Add(ref panel, 16), scale, ref Unsafe.Add(ref sr, 16), stride);
                }
                else
                    BlockScalar(ref qr, d, ref panel, scale, ref sr, stride);
            }
        }
    }

    /// <summary>The score of one row against one key, by the same chain as the kernels (for row-level diagnostics).</summary>
    public static double Score(ReadOnlySpan<double> query, ReadOnlySpan<double> key, double scale)
    {
        double acc = 0;
        for (int c = 0; c < query.Length; c++) acc = Math.FusedMultiplyAdd(query[c], key[c], acc);
        return acc * scale;
    }

    /// <summary>4 rows × 32 keys: 16 accumulators of 8 doubles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the first layer must not run tier-0 loops
    private static void Block512(ref double q, int d, ref double panel, double scale, ref double s, int stride)
    {
        const int block = PackedKeyValues.KeyBlock;
        Vector512<double> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<double> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<double> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<double> a30 = default, a31 = default, a32 = default, a33 = default;
        ref double q0 = ref q, q1 = ref Unsafe.Add(ref q, d), q2 = ref Unsafe.Add(ref q, 2 * d), q3 = ref Unsafe.Add(ref q, 3 * d);
        for (int c = 0; c < d; c++)
        {
            ref double kc = ref Unsafe.Add(ref panel, c * block);
            var k0 = Vector512.LoadUnsafe(ref kc);
            var k1 = Vector512.LoadUnsafe(ref kc, 8);
            var k2 = Vector512.LoadUnsafe(ref kc, 16);
            var k3 = Vector512.LoadUnsafe(ref kc, 24);
            var b = Vector512.Create(Unsafe.Add(ref q0, c));
            a00 = Vector512.FusedMultiplyAdd(b, k0, a00); a01 = Vector512.FusedMultiplyAdd(b, k1, a01);
            a02 = Vector512.FusedMultiplyAdd(b, k2, a02); a03 = Vector512.FusedMultiplyAdd(b, k3, a03);
            b = Vector512.Create(Unsafe.Add(ref q1, c));
            a10 = Vector512.FusedMultiplyAdd(b, k0, a10); a11 = Vector512.FusedMultiplyAdd(b, k1, a11);
            a12 = Vector512.FusedMultiplyAdd(b, k2, a12); a13 = Vector512.FusedMultiplyAdd(b, k3, a13);
            b = Vector512.Create(Unsafe.Add(ref q2, c));
            a20 = Vector512.FusedMultiplyAdd(b, k0, a20); a21 = Vector512.FusedMultiplyAdd(b, k1, a21);
            a22 = Vector512.FusedMultiplyAdd(b, k2, a22); a23 = Vector512.FusedMultiplyAdd(b, k3, a23);
            b = Vector512.Create(Unsafe.Add(ref q3, c));
            a30 = Vector512.FusedMultiplyAdd(b, k0, a30); a31 = Vector512.FusedMultiplyAdd(b, k1, a31);
            a32 = Vector512.FusedMultiplyAdd(b, k2, a32); a33 = Vector512.FusedMultiplyAdd(b, k3, a33);
        }
        var sc = Vector512.Create(scale);
        ref double s1 = ref Unsafe.Add(ref s, stride), s2 = ref Unsafe.Add(ref s, 2 * stride), s3 = ref Unsafe.Add(ref s, 3 * stride);
        (a00 * sc).StoreUnsafe(ref s); (a01 * sc).StoreUnsafe(ref s, 8); (a02 * sc).StoreUnsafe(ref s, 16); (a03 * sc).StoreUnsafe(ref s, 24);
        (a10 * sc).StoreUnsafe(ref s1); (a11 * sc).StoreUnsafe(ref s1, 8); (a12 * sc).StoreUnsafe(ref s1, 16); (a13 * sc).StoreUnsafe(ref s1, 24);
        (a20 * sc).StoreUnsafe(ref s2); (a21 * sc).StoreUnsafe(ref s2, 8); (a22 * sc).StoreUnsafe(ref s2, 16); (a23 * sc).StoreUnsafe(ref s2, 24);
        (a30 * sc).StoreUnsafe(ref s3); (a31 * sc).StoreUnsafe(ref s3, 8); (a32 * sc).StoreUnsafe(ref s3, 16); (a33 * sc).StoreUnsafe(ref s3, 24);
    }

    /// <summary>4 rows × 16 keys (half a panel): 16 accumulators of 4 doubles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the first layer must not run tier-0 loops
    private static void Block256(ref double q, int d, ref double panel, double scale, ref double s, int stride)
    {
        const int block = PackedKeyValues.KeyBlock;
        Vector256<double> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<double> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<double> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector256<double> a30 = default, a31 = default, a32 = default, a33 = default;
        ref double q0 = ref q, q1 = ref Unsafe.Add(ref q, d), q2 = ref Unsafe.Add(ref q, 2 * d), q3 = ref Unsafe.Add(ref q, 3 * d);
        for (int c = 0; c < d; c++)
        {
            ref double kc = ref Unsafe.Add(ref panel, c * block);
            var k0 = Vector256.LoadUnsafe(ref kc);
            var k1 = Vector256.LoadUnsafe(ref kc, 4);
            var k2 = Vector256.LoadUnsafe(ref kc, 8);
            var k3 = Vector256.LoadUnsafe(ref kc, 12);
            var b = Vector256.Create(Unsafe.Add(ref q0, c));
            a00 = Vector256.FusedMultiplyAdd(b, k0, a00); a01 = Vector256.FusedMultiplyAdd(b, k1, a01);
            a02 = Vector256.FusedMultiplyAdd(b, k2, a02); a03 = Vector256.FusedMultiplyAdd(b, k3, a03);
            b = Vector256.Create(Unsafe.Add(ref q1, c));
            a10 = Vector256.FusedMultiplyAdd(b, k0, a10); a11 = Vector256.FusedMultiplyAdd(b, k1, a11);
            a12 = Vector256.FusedMultiplyAdd(b, k2, a12); a13 = Vector256.FusedMultiplyAdd(b, k3, a13);
            b = Vector256.Create(Unsafe.Add(ref q2, c));
            a20 = Vector256.FusedMultiplyAdd(b, k0, a20); a21 = Vector256.FusedMultiplyAdd(b, k1, a21);
            a22 = Vector256.FusedMultiplyAdd(b, k2, a22); a23 = Vector256.FusedMultiplyAdd(b, k3, a23);
            b = Vector256.Create(Unsafe.Add(ref q3, c));
            a30 = Vector256.FusedMultiplyAdd(b, k0, a30); a31 = Vector256.FusedMultiplyAdd(b, k1, a31);
            a32 = Vector256.FusedMultiplyAdd(b, k2, a32); a33 = Vector256.FusedMultiplyAdd(b, k3, a33);
        }
        var sc = Vector256.Create(scale);
        ref double s1 = ref Unsafe.Add(ref s, stride), s2 = ref Unsafe.Add(ref s, 2 * stride), s3 = ref Unsafe.Add(ref s, 3 * stride);
        (a00 * sc).StoreUnsafe(ref s); (a01 * sc).StoreUnsafe(ref s, 4); (a02 * sc).StoreUnsafe(ref s, 8); (a03 * sc).StoreUnsafe(ref s, 12);
        (a10 * sc).StoreUnsafe(ref s1); (a11 * sc).StoreUnsafe(ref s1, 4); (a12 * sc).StoreUnsafe(ref s1, 8); (a13 * sc).StoreUnsafe(ref s1, 12);
        (a20 * sc).StoreUnsafe(ref s2); (a21 * sc).StoreUnsafe(ref s2, 4); (a22 * sc).StoreUnsafe(ref s2, 8); (a23 * sc).StoreUnsafe(ref s2, 12);
        (a30 * sc).StoreUnsafe(ref s3); (a31 * sc).StoreUnsafe(ref s3, 4); (a32 * sc).StoreUnsafe(ref s3, 8); (a33 * sc).StoreUnsafe(ref s3, 12);
    }

    private static void BlockScalar(ref double q, int d, ref double panel, double scale, ref double s, int stride)
    {
        const int block = PackedKeyValues.KeyBlock;
        for (int r = 0; r < RowBlock; r++)
            for (int j = 0; j < block; j++)
            {
                double acc = 0;
                for (int c = 0; c < d; c++)
                    acc = Math.FusedMultiplyAdd(Unsafe.Add(ref q, r * d + c), Unsafe.Add(ref panel, c * block + j), acc);
                Unsafe.Add(ref s, (nint)r * stride + j) = acc * scale;
            }
    }
}
