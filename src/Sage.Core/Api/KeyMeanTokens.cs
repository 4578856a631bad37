namespace Sage;

/// <summary>
/// Which tokens of a head form SmoothK's per-channel mean (docs/kernel-spec.md §1). Any vector subtracted from every key of
/// a head leaves the softmax unchanged (q·m is the same for all keys of a query row), so the choice moves only the
/// quantisation error of K, not what is computed.
/// </summary>
public enum KeyMeanTokens
{
    /// <summary>Every token of the head (SageAttention's K smoothing; our default until session 40). Its pre-processing reads K twice.</summary>
    All,

    /// <summary>
    /// The trimmed mean of <see cref="KeyMeanSample.MaxTokens"/> tokens spread evenly over the head
    /// (<see cref="KeyMeanSample.Of"/>: tokens 0, s, 2s, … with s = ⌊N / 128⌋): per channel the
    /// <see cref="KeyMeanSample.TrimmedPerSide"/> largest and smallest sample values are dropped and the middle 96
    /// averaged (docs/kernel-spec.md §1), so that a few outlier keys in the sample, such as an attention sink on token 0,
    /// do not move it. Every token (the full mean, bit for bit) when N ≤ 128. The pre-processing then reads a sixteenth of
    /// K's rows for the mean at N = 2048 instead of all of them, and K is read in full once (for its codes) instead of twice.
    /// The default (<see cref="SageOptions.KeyMeanTokens"/>): on the families of docs/accuracy-budget.md its relative L1 is
    /// within −1.3 to +1.3 % of the full mean's, level with it under attention sinks, and a quarter of it where outlier keys
    /// recur (the full mean is pulled toward them).
    /// </summary>
    Strided,
}

/// <summary>The tokens SmoothK's mean is formed from: <see cref="Count"/> tokens, <see cref="Step"/> apart, from token 0.</summary>
public readonly record struct KeyMeanSample(int Count, int Step)
{
    /// <summary>Most tokens of a <see cref="KeyMeanTokens.Strided"/> sample: one 128-token chunk of the spec's sum.</summary>
    public const int MaxTokens = 128;

    /// <summary>Sample values dropped on each side of each channel before the <see cref="KeyMeanTokens.Strided"/> mean: an eighth.</summary>
    public const int TrimmedPerSide = MaxTokens / 8;

    /// <summary>The sample of a head of <paramref name="length"/> tokens: every token for <see cref="KeyMeanTokens.All"/> or N ≤ 128.</summary>
    public static KeyMeanSample Of(int length, KeyMeanTokens tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (!Enum.IsDefined(tokens)) throw new ArgumentOutOfRangeException(nameof(tokens), tokens, "Unknown key mean tokens.");
        if (tokens == KeyMeanTokens.All || length <= MaxTokens) return new KeyMeanSample(length, 1);
        return new KeyMeanSample(MaxTokens, length / MaxTokens);
    }

    /// <summary>Whether the sample is every token (the stages then run exactly as for <see cref="KeyMeanTokens.All"/>).</summary>
    public bool IsEveryToken(int length) => Count == length && Step == 1;
}
