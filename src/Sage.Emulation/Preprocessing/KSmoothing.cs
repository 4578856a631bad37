using System.Runtime.Intrinsics;

namespace Sage.Emulation.Preprocessing;

/// <summary>
/// Stage KSmoothing (docs/kernel-spec.md §1): the per-channel mean of K over the sequence (or over the strided sample of
/// <see cref="KeyMeanTokens.Strided"/>), summed as the kernel does (sequentially within each 128-token chunk, then the
/// chunk sums in order), and K − mean in fp32.
/// </summary>
public static class KSmoothing
{
    /// <summary>Mean of each channel of <paramref name="keys"/> (<paramref name="length"/> tokens × head dim, token-major).</summary>
    public static void ChannelMean(ReadOnlySpan<float> keys, int length, int headDim, Span<float> mean) =>
        ChannelMean(keys, headDim, new KeyMeanSample(length, 1), mean);

    /// <summary>
    /// Mean of each channel over the tokens of <paramref name="sample"/> (token j·Step for j &lt; Count; §1): the sampled
    /// rows are summed as the kernel sums a sequence of Count tokens (in 128-row chunks, each from +0, then the chunk sums
    /// in order from +0), then ⊘ Count.
    /// </summary>
    public static void ChannelMean(ReadOnlySpan<float> keys, int headDim, KeyMeanSample sample, Span<float> mean)
    {
        mean.Slice(0, headDim).Clear();
        int length = sample.Count, step = sample.Step;
        if (length == 0) return;
        Span<float> chunk = stackalloc float[headDim];
        // Vectors span channels only: each channel still sums its tokens one after the other, in the same order.
        int vectorChannels = Vector512.IsHardwareAccelerated ? headDim / 16 * 16 : 0;
        for (int start = 0; start < length; start += KernelTiling.KeyTileTokens)
        {
            int end = Math.Min(length, start + KernelTiling.KeyTileTokens);
            chunk.Clear();
            for (int t = start; t < end; t++)
            {
                var row = keys.Slice(t * step * headDim, headDim);
                for (int c = 0; c < vectorChannels; c += 16)
                    (Vector512.Create(chunk.Slice(c, 16)) + Vector512.Create(row.Slice(c, 16))).CopyTo(chunk.Slice(c, 16));
                for (int c = vectorChannels; c < headDim; c++) chunk[c] += row[c];
            }
            for (int c = 0; c < headDim; c++) mean[c] += chunk[c];
        }
        float n = length; // exact: sequence lengths are far below 2^24
        for (int c = 0; c < headDim; c++) mean[c] /= n;
    }

    /// <summary>K̃ = K − mean, one fp32 subtraction per element (in place).</summary>
    public static void Subtract(Span<float> keys, int length, int headDim, ReadOnlySpan<float> mean)
    {
        int vectorChannels = Vector512.IsHardwareAccelerated ? headDim / 16 * 16 : 0;
        for (int t = 0; t < length; t++)
        {
            var row = keys.Slice(t * headDim, headDim);
            for (int c = 0; c < vectorChannels; c += 16)
                (Vector512.Create(row.Slice(c, 16)) - Vector512.Create(mean.Slice(c, 16))).CopyTo(row.Slice(c, 16));
            for (int c = vectorChannels; c < headDim; c++) row[c] -= mean[c];
        }
    }
}
