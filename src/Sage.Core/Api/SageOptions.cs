namespace Sage;

/// <summary>The quantised-attention choices of SageAttention2/2++ (see docs/kernel-spec.md).</summary>
public sealed record SageOptions
{
    /// <summary>Head dimensions the Sage kernels (and therefore the emulator) implement.</summary>
    public static IReadOnlyList<int> SupportedHeadDims { get; } = [64, 128];

    public QkFormat QkFormat { get; init; } = QkFormat.Int8;
    public QuantGranularity Granularity { get; init; } = QuantGranularity.PerThread;

    /// <summary>Subtract the per-channel mean of K over the sequence before quantising (exact for the output).</summary>
    public bool SmoothK { get; init; } = true;

    /// <summary>
    /// Which tokens form SmoothK's mean (<see cref="Sage.KeyMeanTokens"/>; default <see cref="KeyMeanTokens.Strided"/>, the
    /// trimmed mean of 128 tokens spread over the head, since session 40: within 1.3 % of the full mean's relative L1 on
    /// every family measured, robust to outlier keys, and 5-11 % faster end to end at 2K causal on an H100;
    /// <see cref="KeyMeanTokens.All"/> gives SageAttention's mean over every token). Only read with <see cref="SmoothK"/>.
    /// </summary>
    public KeyMeanTokens KeyMeanTokens { get; init; } = KeyMeanTokens.Strided;

    /// <summary>Subtract the per-block mean of Q and add ΔS back (SageAttention2 paper, not in the public release).</summary>
    public bool SmoothQ { get; init; }

    /// <summary>
    /// Subtract the per-channel mean of V over the sequence before FP8 quantisation and add it back in the epilogue
    /// (SageAttention paper). Exact for the output because every softmax row sums to 1; rows that see no key stay 0.
    /// </summary>
    public bool SmoothV { get; init; }

    public PvAccumulation PvAccumulation { get; init; } = PvAccumulation.Fp16TwoLevel;

    /// <summary>How P becomes the E4M3 codes of the P·V product (<see cref="Sage.PEncoding"/>; default <see cref="PEncoding.Exp2"/>).</summary>
    public PEncoding PEncoding { get; init; } = PEncoding.Exp2;

    public ElementType OutputType { get; init; } = ElementType.Float16;

    /// <summary>SageAttention2++ defaults: INT8 per-thread QK, K smoothing (the strided trimmed mean), FP16 two-level PV, FP16 output.</summary>
    public static SageOptions Default { get; } = new();

    /// <summary>
    /// Largest |V| after per-channel scaling: 1.125 for FP16 accumulation (one FP16 accumulator per 128-token K tile:
    /// 128·448·1.125 = 64512 ≤ 65504, no overflow), 448 otherwise.
    /// </summary>
    public double VScaleMax => PvAccumulation == PvAccumulation.Fp16TwoLevel ? 1.125 : 448.0;

    /// <summary>Throws a NotSupportedException or ArgumentException when these options cannot run <paramref name="problem"/>.</summary>
    public void Validate(AttentionProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        if (!Enum.IsDefined(QkFormat)) throw new ArgumentOutOfRangeException(nameof(QkFormat), QkFormat, "Unknown QK format.");
        if (!Enum.IsDefined(Granularity)) throw new ArgumentOutOfRangeException(nameof(Granularity), Granularity, "Unknown granularity.");
        if (!Enum.IsDefined(PvAccumulation)) throw new ArgumentOutOfRangeException(nameof(PvAccumulation), PvAccumulation, "Unknown PV accumulation.");
        if (!Enum.IsDefined(PEncoding)) throw new ArgumentOutOfRangeException(nameof(PEncoding), PEncoding, "Unknown P encoding.");
        if (!Enum.IsDefined(KeyMeanTokens)) throw new ArgumentOutOfRangeException(nameof(KeyMeanTokens), KeyMeanTokens, "Unknown key mean tokens.");
        if (!Enum.IsDefined(OutputType)) throw new ArgumentOutOfRangeException(nameof(OutputType), OutputType, "Unknown output type.");
        if (!SupportedHeadDims.Contains(problem.Shape.HeadDim))
            throw new NotSupportedException(
                $"Head dim {problem.Shape.HeadDim} is not supported by the Sage kernels; supported: {string.Join(", ", SupportedHeadDims)}.");
    }

    public override string ToString() =>
        $"{QkFormat}/{Granularity}{(SmoothK ? KeyMeanTokens == KeyMeanTokens.Strided ? "+smoothK(strided)" : "+smoothK" : "")}{(SmoothQ ? "+smoothQ" : "")}{(SmoothV ? "+smoothV" : "")}/{PvAccumulation}{(PEncoding == PEncoding.LogLinear ? "+logLinearP" : "")}/{OutputType}";
}
