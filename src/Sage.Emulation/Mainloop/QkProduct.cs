using System.Runtime.Intrinsics;

namespace Sage.Emulation.Mainloop;

/// <summary>
/// Stage QkProduct (docs/kernel-spec.md §5.1): the int32 accumulator of the INT8 (wgmma s8) or INT4 (mma.sync s4)
/// QKᵀ. The quantised values are held as float: every partial sum is an integer below 2^24 (|acc| ≤ 127²·128), so
/// float fused multiply-adds in any order are exact, and the widest float vectors can be used.
/// </summary>
public static class QkProduct
{
    /// <summary>
    /// acc[i, j] for <paramref name="rows"/> query rows (row-major, head dim wide) and the 128 keys of one tile given
    /// channel-major (<paramref name="keysTransposed"/>[c·128 + j]).
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> queries, ReadOnlySpan<float> keysTransposed, int rows, int headDim, Span<int> acc)
    {
        const int n = KernelTiling.KeyTileTokens;
        if (Vector512.IsHardwareAccelerated)
        {
            for (int i = 0; i < rows; i++)
            {
                var q = queries.Slice(i * headDim, headDim);
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
                for (int c = 0; c < headDim; c++)
                {
                    var qc = Vector512.Create(q[c]);
                    var k = keysTransposed.Slice(c * n, n);
                    a0 = Vector512.FusedMultiplyAdd(qc, Vector512.Create(k.Slice(0, 16)), a0);
                    a1 = Vector512.FusedMultiplyAdd(qc, Vector512.Create(k.Slice(16, 16)), a1);
                    a2 = Vector512.FusedMultiplyAdd(qc, Vector512.Create(k.Slice(32, 16)), a2);
                    a3 = Vector512.FusedMultiplyAdd(qc, Vector512.Create(k.Slice(48, 16)), a3);
                    a4 = Vector512.FusedMultiplyAdd(qc, Vector512.Create(k.Slice(64, 16)), a4);
                    a5 = Vector512.FusedMultiplyAdd(qc, Vector512.Create(k.Slice(80, 16)), a5);
                    a6 = Vector512.FusedMultiplyAdd(qc, Vector512.Create(k.Slice(96, 16)), a6);
                    a7 = Vector512.FusedMultiplyAdd(qc, Vector512.Create(k.Slice(112, 16)), a7);
                }
                var dst = acc.Slice(i * n, n);
                Vector512.ConvertToInt32(a0).CopyTo(dst.Slice(0, 16));
                Vector512.ConvertToInt32(a1).CopyTo(dst.Slice(16, 16));
                Vector512.ConvertToInt32(a2).CopyTo(dst.Slice(32, 16));
                Vector512.ConvertToInt32(a3).CopyTo(dst.Slice(48, 16));
                Vector512.ConvertToInt32(a4).CopyTo(dst.Slice(64, 16));
                Vector512.ConvertToInt32(a5).CopyTo(dst.Slice(80, 16));
                Vector512.ConvertToInt32(a6).CopyTo(dst.Slice(96, 16));
                Vector512.ConvertToInt32(a7).CopyTo(dst.Slice(112, 16));
            }
            return;
        }
        Span<float> sums = stackalloc float[n];
        for (int i = 0; i < rows; i++)
        {
            sums.Clear();
            var q = queries.Slice(i * headDim, headDim);
            for (int c = 0; c < headDim; c++)
            {
                float qc = q[c];
                var k = keysTransposed.Slice(c * n, n);
                for (int j = 0; j < n; j++) sums[j] += qc * k[j];
            }
            var dst = acc.Slice(i * n, n);
            for (int j = 0; j < n; j++) dst[j] = (int)sums[j];
        }
    }
}
