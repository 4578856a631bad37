using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
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
        if (queries.Length < rows * headDim || keysTransposed.Length < headDim * n || acc.Length < rows * n)
            throw new ArgumentException(
                $"queries, keys, acc hold {queries.Length}, {keysTransposed.Length}, {acc.Length}; expected ≥ {rows * headDim}, {headDim * n}, {rows * n}.",
                nameof(queries));
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            // 4 rows × 64 keys per pass: 16 accumulators, each K vector load serves 4 rows.
            ref float qRef = ref MemoryMarshal.GetReference(queries);
            ref float kRef = ref MemoryMarshal.GetReference(keysTransposed);
            for (; i + 4 <= rows; i += 4)
            for (int j0 = 0; j0 < n; j0 += 64)
            {
                Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
                Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
                Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
                Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
                nuint q0 = (nuint)(i * headDim), kAt = (nuint)j0;
                for (int c = 0; c < headDim; c++, kAt += n)
                {
                    var k0 = Vector512.LoadUnsafe(ref kRef, kAt);
                    var k1 = Vector512.LoadUnsafe(ref kRef, kAt + 16);
                    var k2 = Vector512.LoadUnsafe(ref kRef, kAt + 32);
                    var k3 = Vector512.LoadUnsafe(ref kRef, kAt + 48);
                    var q = Vector512.Create(Unsafe.Add(ref qRef, q0 + (nuint)c));
                    a00 = Vector512.FusedMultiplyAdd(q, k0, a00); a01 = Vector512.FusedMultiplyAdd(q, k1, a01);
                    a02 = Vector512.FusedMultiplyAdd(q, k2, a02); a03 = Vector512.FusedMultiplyAdd(q, k3, a03);
                    q = Vector512.Create(Unsafe.Add(ref qRef, q0 + (nuint)(headDim + c)));
                    a10 = Vector512.FusedMultiplyAdd(q, k0, a10); a11 = Vector512.FusedMultiplyAdd(q, k1, a11);
                    a12 = Vector512.FusedMultiplyAdd(q, k2, a12); a13 = Vector512.FusedMultiplyAdd(q, k3, a13);
                    q = Vector512.Create(Unsafe.Add(ref qRef, q0 + (nuint)(2 * headDim + c)));
                    a20 = Vector512.FusedMultiplyAdd(q, k0, a20); a21 = Vector512.FusedMultiplyAdd(q, k1, a21);
                    a22 = Vector512.FusedMultiplyAdd(q, k2, a22); a23 = Vector512.FusedMultiplyAdd(q, k3, a23);
                    q = Vector512.Create(Unsafe.Add(ref qRef, q0 + (nuint)(3 * headDim + c)));
                    a30 = Vector512.FusedMultiplyAdd(q, k0, a30); a31 = Vector512.FusedMultiplyAdd(q, k1, a31);
                    a32 = Vector512.FusedMultiplyAdd(q, k2, a32); a33 = Vector512.FusedMultiplyAdd(q, k3, a33);
                }
                Store(acc, i * n + j0, a00, a01, a02, a03);
                Store(acc, (i + 1) * n + j0, a10, a11, a12, a13);
                Store(acc, (i + 2) * n + j0, a20, a21, a22, a23);
                Store(acc, (i + 3) * n + j0, a30, a31, a32, a33);
            }
        }
        Span<float> sums = stackalloc float[n];
        for (; i < rows; i++)
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

    private static void Store(Span<int> acc, int at, Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3)
    {
        Vector512.ConvertToInt32(a0).CopyTo(acc.Slice(at, 16));
        Vector512.ConvertToInt32(a1).CopyTo(acc.Slice(at + 16, 16));
        Vector512.ConvertToInt32(a2).CopyTo(acc.Slice(at + 32, 16));
        Vector512.ConvertToInt32(a3).CopyTo(acc.Slice(at + 48, 16));
    }
}
