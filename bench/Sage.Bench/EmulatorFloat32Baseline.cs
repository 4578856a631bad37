using System.Runtime.Intrinsics;

namespace Sage.Bench;

/// <summary>
/// Plain float32 attention (HND, non-causal), vectorised and parallel over heads × 64-row query blocks, with an
/// online softmax over 128-key tiles: the "what a careful C# programmer writes" baseline for the emulator benchmark.
/// Memory per worker is O(tile).
/// </summary>
public static class EmulatorFloat32Baseline
{
    private const int RowBlock = 4, KeyTile = 128;

    public static void Run(float[] q, float[] k, float[] v, float[] output, int heads, int length, int headDim, float scale)
    {
        int rowBlocks = (length + RowBlock - 1) / RowBlock;
        Parallel.For(0, heads * rowBlocks, () => new float[RowBlock * KeyTile], (item, _, scores) =>
        {
            int head = item / rowBlocks, r0 = item % rowBlocks * RowBlock;
            int rows = Math.Min(RowBlock, length - r0);
            long headBase = (long)head * length * headDim;
            Span<float> m = stackalloc float[RowBlock];
            Span<float> l = stackalloc float[RowBlock];
            m.Fill(float.NegativeInfinity);
            l.Clear();
            var acc = output.AsSpan((int)(headBase + (long)r0 * headDim), rows * headDim);
            acc.Clear();
            for (int k0 = 0; k0 < length; k0 += KeyTile)
            {
                int keys = Math.Min(KeyTile, length - k0);
                for (int r = 0; r < rows; r++)
                {
                    var qr = q.AsSpan((int)(headBase + (long)(r0 + r) * headDim), headDim);
                    for (int j = 0; j < keys; j++)
                        scores[r * KeyTile + j] = Dot(qr, k.AsSpan((int)(headBase + (long)(k0 + j) * headDim), headDim)) * scale;
                }
                for (int r = 0; r < rows; r++)
                {
                    var s = scores.AsSpan(r * KeyTile, keys);
                    float tileMax = System.Numerics.Tensors.TensorPrimitives.Max(s);
                    float mNew = Math.Max(m[r], tileMax);
                    float rescale = MathF.Exp(m[r] - mNew);
                    System.Numerics.Tensors.TensorPrimitives.Subtract(s, mNew, s);
                    System.Numerics.Tensors.TensorPrimitives.Exp(s, s);
                    l[r] = l[r] * rescale + System.Numerics.Tensors.TensorPrimitives.Sum(s);
                    m[r] = mNew;
                    var o = acc.Slice(r * headDim, headDim);
                    System.Numerics.Tensors.TensorPrimitives.Multiply(o, rescale, o);
                    for (int j = 0; j < keys; j++)
                        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(v.AsSpan((int)(headBase + (long)(k0 + j) * headDim), headDim), s[j], o, o);
                }
            }
            for (int r = 0; r < rows; r++)
                System.Numerics.Tensors.TensorPrimitives.Divide(acc.Slice(r * headDim, headDim), l[r], acc.Slice(r * headDim, headDim));
            return scores;
        }, _ => { });
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (Vector512.IsHardwareAccelerated && a.Length % 64 == 0)
        {
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int i = 0; i < a.Length; i += 64)
            {
                s0 = Vector512.FusedMultiplyAdd(Vector512.Create(a.Slice(i, 16)), Vector512.Create(b.Slice(i, 16)), s0);
                s1 = Vector512.FusedMultiplyAdd(Vector512.Create(a.Slice(i + 16, 16)), Vector512.Create(b.Slice(i + 16, 16)), s1);
                s2 = Vector512.FusedMultiplyAdd(Vector512.Create(a.Slice(i + 32, 16)), Vector512.Create(b.Slice(i + 32, 16)), s2);
                s3 = Vector512.FusedMultiplyAdd(Vector512.Create(a.Slice(i + 48, 16)), Vector512.Create(b.Slice(i + 48, 16)), s3);
            }
            return Vector512.Sum((s0 + s1) + (s2 + s3));
        }
        return System.Numerics.Tensors.TensorPrimitives.Dot(a, b);
    }
}
