using System.Numerics.Tensors;

namespace Sage.Emulation.Mainloop;

/// <summary>
/// Stage QkProduct (docs/kernel-spec.md §5.1): the int32 accumulator of the INT8 (wgmma s8) or INT4 (mma.sync s4)
/// QKᵀ. The quantised values are held as float: every partial sum is an integer below 2^24 (|acc| ≤ 127²·128), so
/// a float dot product in any order is exact, and TensorPrimitives.Dot can use the widest vectors available.
/// </summary>
public static class QkProduct
{
    /// <summary>acc[i, j] for <paramref name="rows"/> query rows and <paramref name="tokens"/> key tokens.</summary>
    public static void Multiply(ReadOnlySpan<float> queries, ReadOnlySpan<float> keys, int rows, int tokens, int headDim,
        Span<int> acc)
    {
        for (int i = 0; i < rows; i++)
        {
            var q = queries.Slice(i * headDim, headDim);
            var dst = acc.Slice(i * tokens, tokens);
            for (int j = 0; j < tokens; j++)
                dst[j] = (int)TensorPrimitives.Dot(q, keys.Slice(j * headDim, headDim));
        }
    }
}
