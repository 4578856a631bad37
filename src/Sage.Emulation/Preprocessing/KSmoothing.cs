using System.Runtime.Intrinsics;

namespace Sage.Emulation.Preprocessing;

/// <summary>
/// Stage KSmoothing (docs/kernel-spec.md §1): the per-channel mean of K over the sequence, summed as the kernel does
/// (sequentially within each 128-token chunk, then the chunk sums in order), or the trimmed mean of the strided sample of
/// <see cref="KeyMeanTokens.Strided"/>; and K − mean in fp32.
/// </summary>
public static class KSmoothing
{
    /// <summary>
    /// Mean of each channel over the first <paramref name="length"/> tokens (§1 steps 1-3): summed as the kernel sums
    /// them, sequentially within each 128-token chunk from +0, then the chunk sums in order from +0, then ⊘ N.
    /// </summary>
    public static void ChannelMean(ReadOnlySpan<float> keys, int length, int headDim, Span<float> mean)
    {
        mean.Slice(0, headDim).Clear();
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
                var row = keys.Slice(t * headDim, headDim);
                for (int c = 0; c < vectorChannels; c += 16)
                    (Vector512.Create(chunk.Slice(c, 16)) + Vector512.Create(row.Slice(c, 16))).CopyTo(chunk.Slice(c, 16));
                for (int c = vectorChannels; c < headDim; c++) chunk[c] += row[c];
            }
            for (int c = 0; c < headDim; c++) mean[c] += chunk[c];
        }
        float n = length; // exact: sequence lengths are far below 2^24
        for (int c = 0; c < headDim; c++) mean[c] /= n;
    }

    /// <summary>
    /// SmoothK's mean for <paramref name="tokens"/> over a head of <paramref name="length"/> tokens: the full mean, or,
    /// for <see cref="KeyMeanTokens.Strided"/> past 128 tokens, the trimmed mean of the strided sample
    /// (<see cref="TrimmedSampleMean"/>).
    /// </summary>
    public static void KeyMean(ReadOnlySpan<float> keys, int length, int headDim, KeyMeanTokens tokens, Span<float> mean)
    {
        var sample = KeyMeanSample.Of(length, tokens);
        if (sample.IsEveryToken(length)) ChannelMean(keys, length, headDim, mean);
        else TrimmedSampleMean(keys, headDim, sample, mean);
    }

    /// <summary>
    /// The trimmed mean of the strided sample (§1, "Strided sample, trimmed"): per channel the sample's
    /// <see cref="KeyMeanSample.MaxTokens"/> values sorted in IEEE totalOrder, the <see cref="KeyMeanSample.TrimmedPerSide"/>
    /// smallest and largest dropped, the rest summed in groups of 16 sorted values from +0, the eight group sums (the two
    /// dropped groups +0) added pairwise as the kernel's xor-shuffles add them, ⊘ 96.
    /// </summary>
    public static void TrimmedSampleMean(ReadOnlySpan<float> keys, int headDim, KeyMeanSample sample, Span<float> mean)
    {
        const int count = KeyMeanSample.MaxTokens, group = KeyMeanSample.TrimmedPerSide;
        if (sample.Count != count)
            throw new ArgumentException($"a trimmed sample has {count} tokens, got {sample.Count}", nameof(sample));
        Span<uint> order = stackalloc uint[count];
        Span<float> sums = stackalloc float[count / group];
        for (int c = 0; c < headDim; c++)
        {
            for (int i = 0; i < count; i++) order[i] = TotalOrderKey(keys[(i * sample.Step) * headDim + c]);
            order.Sort();
            for (int g = 0; g < sums.Length; g++)
            {
                float p = 0f; // the dropped groups (first and last) stay +0
                if (g > 0 && g < sums.Length - 1)
                    for (int r = 0; r < group; r++) p += TotalOrderValue(order[g * group + r]);
                sums[g] = p;
            }
            float total = ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]));
            mean[c] = total / (count - 2 * group);
        }
    }

    /// <summary>
    /// An unsigned key whose integer order is IEEE 754 totalOrder on binary32 (−0 before +0): negative values
    /// complemented, non-negative ones with the sign bit set. <see cref="TotalOrderValue"/> inverts it.
    /// </summary>
    public static uint TotalOrderKey(float x)
    {
        uint u = BitConverter.SingleToUInt32Bits(x);
        return (u & 0x8000_0000u) != 0 ? ~u : u | 0x8000_0000u;
    }

    public static float TotalOrderValue(uint key) =>
        BitConverter.UInt32BitsToSingle((key & 0x8000_0000u) != 0 ? key & 0x7FFF_FFFFu : ~key);

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
