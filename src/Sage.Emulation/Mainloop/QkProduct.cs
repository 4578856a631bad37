using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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

    /// <summary>Whether <see cref="MultiplyBytes"/> can run here (AVX-VNNI).</summary>
    public static bool BytePathSupported => AvxVnni.IsSupported;

    /// <summary>
    /// The same accumulator from the quantised integers themselves, with AVX-VNNI (vpdpbusd: 4 u8·s8 products into each
    /// int32 lane): <paramref name="queryWords"/>[i·(d/4) + g] packs the bytes q[i, 4g..4g+3] + 128 (unsigned),
    /// <paramref name="keysInterleaved"/> is the tile in <see cref="Preprocessing.PreparedKeyValueHead.KeysInterleaved"/>
    /// order and Σ_c (q + 128)·k − 128·Σ_c k is the exact integer dot product (|partial sums| &lt; 2^23, no wrap).
    /// <paramref name="rows"/> must be a multiple of 4.
    /// </summary>
    public static void MultiplyBytes(ReadOnlySpan<int> queryWords, ReadOnlySpan<sbyte> keysInterleaved, ReadOnlySpan<int> keySums,
        int rows, int headDim, Span<int> acc)
    {
        const int n = KernelTiling.KeyTileTokens;
        int groups = headDim / 4;
        if (!AvxVnni.IsSupported) throw new PlatformNotSupportedException("MultiplyBytes needs AVX-VNNI; use Multiply.");
        if (rows % 4 != 0 || headDim % 4 != 0) throw new ArgumentException($"rows = {rows}, head dim = {headDim}; expected multiples of 4.", nameof(rows));
        if (queryWords.Length < rows * groups || keysInterleaved.Length < headDim * n || keySums.Length < n || acc.Length < rows * n)
            throw new ArgumentException(
                $"queries, keys, sums, acc hold {queryWords.Length}, {keysInterleaved.Length}, {keySums.Length}, {acc.Length}; expected ≥ {rows * groups}, {headDim * n}, {n}, {rows * n}.",
                nameof(queryWords));
        ref int qRef = ref MemoryMarshal.GetReference(queryWords);
        ref byte kRef = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(keysInterleaved));
        for (int i = 0; i < rows; i += 4)
        for (int j0 = 0; j0 < n; j0 += 32)
        {
            Vector256<int> a00 = default, a01 = default, a02 = default, a03 = default;
            Vector256<int> a10 = default, a11 = default, a12 = default, a13 = default;
            Vector256<int> a20 = default, a21 = default, a22 = default, a23 = default;
            Vector256<int> a30 = default, a31 = default, a32 = default, a33 = default;
            nuint q0 = (nuint)(i * groups), kAt = (nuint)(j0 * 4);
            for (int g = 0; g < groups; g++, kAt += 4 * n)
            {
                var k0 = Vector256.LoadUnsafe(ref kRef, kAt).AsSByte();
                var k1 = Vector256.LoadUnsafe(ref kRef, kAt + 32).AsSByte();
                var k2 = Vector256.LoadUnsafe(ref kRef, kAt + 64).AsSByte();
                var k3 = Vector256.LoadUnsafe(ref kRef, kAt + 96).AsSByte();
                var q = Vector256.Create(Unsafe.Add(ref qRef, q0 + (nuint)g)).AsByte();
                a00 = AvxVnni.MultiplyWideningAndAdd(a00, q, k0); a01 = AvxVnni.MultiplyWideningAndAdd(a01, q, k1);
                a02 = AvxVnni.MultiplyWideningAndAdd(a02, q, k2); a03 = AvxVnni.MultiplyWideningAndAdd(a03, q, k3);
                q = Vector256.Create(Unsafe.Add(ref qRef, q0 + (nuint)(groups + g))).AsByte();
                a10 = AvxVnni.MultiplyWideningAndAdd(a10, q, k0); a11 = AvxVnni.MultiplyWideningAndAdd(a11, q, k1);
                a12 = AvxVnni.MultiplyWideningAndAdd(a12, q, k2); a13 = AvxVnni.MultiplyWideningAndAdd(a13, q, k3);
                q = Vector256.Create(Unsafe.Add(ref qRef, q0 + (nuint)(2 * groups + g))).AsByte();
                a20 = AvxVnni.MultiplyWideningAndAdd(a20, q, k0); a21 = AvxVnni.MultiplyWideningAndAdd(a21, q, k1);
                a22 = AvxVnni.MultiplyWideningAndAdd(a22, q, k2); a23 = AvxVnni.MultiplyWideningAndAdd(a23, q, k3);
                q = Vector256.Create(Unsafe.Add(ref qRef, q0 + (nuint)(3 * groups + g))).AsByte();
                a30 = AvxVnni.MultiplyWideningAndAdd(a30, q, k0); a31 = AvxVnni.MultiplyWideningAndAdd(a31, q, k1);
                a32 = AvxVnni.MultiplyWideningAndAdd(a32, q, k2); a33 = AvxVnni.MultiplyWideningAndAdd(a33, q, k3);
            }
            var s0 = Vector256.Create(keySums.Slice(j0, 8)) << 7;
            var s1 = Vector256.Create(keySums.Slice(j0 + 8, 8)) << 7;
            var s2 = Vector256.Create(keySums.Slice(j0 + 16, 8)) << 7;
            var s3 = Vector256.Create(keySums.Slice(j0 + 24, 8)) << 7;
            StoreBytes(acc, i * n + j0, a00 - s0, a01 - s1, a02 - s2, a03 - s3);
            StoreBytes(acc, (i + 1) * n + j0, a10 - s0, a11 - s1, a12 - s2, a13 - s3);
            StoreBytes(acc, (i + 2) * n + j0, a20 - s0, a21 - s1, a22 - s2, a23 - s3);
            StoreBytes(acc, (i + 3) * n + j0, a30 - s0, a31 - s1, a32 - s2, a33 - s3);
        }
    }

    /// <summary>Packs quantised rows for <see cref="MultiplyBytes"/>: 4 bytes (q + 128) per int, little-endian.</summary>
    public static void PackQueryWords(ReadOnlySpan<sbyte> quantized, Span<int> words)
    {
        for (int g = 0; g < quantized.Length / 4; g++)
            words[g] = (byte)(quantized[4 * g] ^ 0x80) | (byte)(quantized[4 * g + 1] ^ 0x80) << 8
                       | (byte)(quantized[4 * g + 2] ^ 0x80) << 16 | (byte)(quantized[4 * g + 3] ^ 0x80) << 24;
    }

    private static void StoreBytes(Span<int> acc, int at, Vector256<int> a0, Vector256<int> a1, Vector256<int> a2, Vector256<int> a3)
    {
        a0.CopyTo(acc.Slice(at, 8));
        a1.CopyTo(acc.Slice(at + 8, 8));
        a2.CopyTo(acc.Slice(at + 16, 8));
        a3.CopyTo(acc.Slice(at + 24, 8));
    }
}
