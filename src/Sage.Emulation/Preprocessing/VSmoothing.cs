namespace Sage.Emulation.Preprocessing;

/// <summary>
/// Stage VSmoothing (docs/kernel-spec.md §4, only with SmoothV): the per-channel mean of V over the sequence and
/// V − mean in fp32, before VQuantization. The epilogue adds the mean back (§9): exact for the output because every
/// softmax row sums to 1, while the E4M3 codes now spend their 3 fraction bits on the deviation, not on the bias.
/// </summary>
public static class VSmoothing
{
    /// <summary>
    /// Mean of each channel of <paramref name="values"/> (<paramref name="length"/> tokens × head dim, token-major),
    /// summed in the same order as the K mean (sequentially within 128-token chunks, then the chunk sums in order), so
    /// one pre-processing kernel computes both.
    /// </summary>
    public static void ChannelMean(ReadOnlySpan<float> values, int length, int headDim, Span<float> mean) =>
        KSmoothing.ChannelMean(values, length, headDim, mean);

    /// <summary>Ṽ = V − mean, one fp32 subtraction per element (in place).</summary>
    public static void Subtract(Span<float> values, int length, int headDim, ReadOnlySpan<float> mean) =>
        KSmoothing.Subtract(values, length, headDim, mean);
}
