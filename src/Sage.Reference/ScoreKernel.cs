using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sage.Reference;

/// <summary>
/// Scaled scores of a tile of query rows against packed key panels: s[r, j] = scale · (q_r · k_j), a register-blocked
/// float64 GEMM (<see cref="RowBlock"/> rows × one 32-key panel per <see cref="FmaTile"/> call, Vector512 or Vector256 FMA).
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
    public const int RowBlock = FmaTile.Rows;

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
                if (Vector512.IsHardwareAccelerated) // 4 rows × 32 keys: 16 accumulators of 8 doubles
                    FmaTile.Run<FmaTile.Lanes512, Vector512<double>>(ref qr, d, ref panel, block, d, ref sr, stride, accumulate: false, scale);
                else if (Vector256.IsHardwareAccelerated) // two halves of 4 rows × 16 keys
                {
                    FmaTile.Run<FmaTile.Lanes256, Vector256<double>>(ref qr, d, ref panel, block, d, ref sr, stride, accumulate: false, scale);
                    FmaTile.Run<FmaTile.Lanes256, Vector256<double>>(ref qr, d, ref Unsafe.Add(ref panel, block / 2), block, d,
                        ref Unsafe.Add(ref sr, block / 2), stride, accumulate: false, scale);
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
