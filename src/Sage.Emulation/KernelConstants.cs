namespace Sage.Emulation;

/// <summary>The fp32/fp64 constants of docs/kernel-spec.md §0, as exact bit patterns.</summary>
public static class KernelConstants
{
    /// <summary>fp32 nearest to log2(448): the static offset that puts the row maximum of P at the top of E4M3.</summary>
    public static readonly float Log2Of448 = BitConverter.UInt32BitsToSingle(0x410CEAEDu);

    /// <summary>binary64 nearest to ln 2, for the log-sum-exp.</summary>
    public static readonly double Ln2 = BitConverter.UInt64BitsToDouble(0x3FE62E42FEFA39EFul);

    /// <summary>binary64 nearest to log2(e).</summary>
    public const double Log2E = 1.4426950408889634;

    /// <summary>
    /// SHIFTER = 1.5·2^23 (fp32 bits 0x4B400000): SHIFTER + acc is exact for |acc| &lt; 2^22 and is the float whose bits are
    /// 0x4B400000 + acc, so the kernel gets the int32 QK sum as a float by starting its integer accumulators from these bits
    /// (docs/kernel-spec.md §5.3).
    /// </summary>
    public const float ScoreShifter = 12582912f;

    /// <summary>The bits of <see cref="ScoreShifter"/>.</summary>
    public const int ScoreShifterBits = 0x4B400000;

    /// <summary>
    /// 2^−7: below this qk the exp2 argument of a score is formed with the offset folded into the score fma
    /// (docs/kernel-spec.md §7.5, <see cref="Softmax.ExponentArgument"/>); from it on, S ⊖ base as before.
    /// </summary>
    public const float FusedOffsetLimit = 0.0078125f;

    public const float Int8Max = 127f;
    public const float Int4Max = 7f;

    /// <summary>LOG2E_SCALE: sm_scale·log2(e) formed in float64 and rounded once to fp32 (the host does this).</summary>
    public static float SoftmaxScaleLog2(double softmaxScale) => (float)(softmaxScale * Log2E);

    /// <summary>
    /// Largest |V| after per-channel scaling: 448, or 1.125 for FP16 accumulation, where one FP16 accumulator spans a
    /// whole 128-token tile and 128·448·1.125 = 64512 ≤ 65504 keeps it finite (docs/kernel-spec.md §8).
    /// </summary>
    public static float VMax(PvAccumulation mode) => mode == PvAccumulation.Fp16TwoLevel ? 1.125f : 448f;

    /// <summary>Largest quantised |Q|, |K| of the QK format.</summary>
    public static float QkMax(QkFormat format) => format == QkFormat.Int4 ? Int4Max : Int8Max;
}
