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

    public const float Int8Max = 127f;
    public const float Int4Max = 7f;

    /// <summary>LOG2E_SCALE: sm_scale·log2(e) formed in float64 and rounded once to fp32 (the host does this).</summary>
    public static float SoftmaxScaleLog2(double softmaxScale) => (float)(softmaxScale * Log2E);

    /// <summary>Largest |V| after per-channel scaling (448, or 2.25 for FP16 accumulation).</summary>
    public static float VMax(PvAccumulation mode) => mode == PvAccumulation.Fp16TwoLevel ? 2.25f : 448f;

    /// <summary>Largest quantised |Q|, |K| of the QK format.</summary>
    public static float QkMax(QkFormat format) => format == QkFormat.Int4 ? Int4Max : Int8Max;
}
