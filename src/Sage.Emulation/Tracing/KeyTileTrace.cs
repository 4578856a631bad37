namespace Sage.Emulation.Tracing;

/// <summary>
/// Every intermediate of one visited K tile for the traced query tile (rows × 128 keys, row-major; rows =
/// <see cref="EmulatorTrace.Rows"/>, the real rows of the tile). Stage names follow docs/kernel-spec.md.
/// </summary>
public sealed class KeyTileTrace
{
    internal KeyTileTrace(int keyTile, int rows, int headDim, int blockValuesPerRow)
    {
        KeyTile = keyTile;
        const int n = KernelTiling.KeyTileTokens;
        QkAccumulator = new int[rows * n];
        DeltaS = [];
        Scores = new float[rows * n];
        TileMax = new float[rows];
        NewMax = new float[rows];
        Rescale = new float[rows];
        Base = new float[rows];
        ExponentArguments = new float[rows * n];
        Probabilities = new float[rows * n];
        ProbabilityCodes = new byte[rows * n];
        PvBlocks = new float[rows * blockValuesPerRow];
        AccumulatorAfter = new float[rows * headDim];
        RowSumAfter = new float[rows];
    }

    public int KeyTile { get; }

    /// <summary>QkProduct: the int32 accumulator.</summary>
    public int[] QkAccumulator { get; }

    /// <summary>QSmoothing: ΔS per warpgroup block (2 × 128), empty without Q smoothing.</summary>
    public float[] DeltaS { get; internal set; }

    /// <summary>ScoreDequantization: S in log2 units, masked keys −∞.</summary>
    public float[] Scores { get; }

    /// <summary>OnlineSoftmax per row: tile max, new running max, rescale = exp2(m_old − m_new), base = m_new − log2 448.</summary>
    public float[] TileMax { get; }
    public float[] NewMax { get; }
    public float[] Rescale { get; }
    public float[] Base { get; }

    /// <summary>
    /// ExponentArgument (§7.5): x of P = exp2(x); fma(SHIFTER + acc, qk, (−SHIFTER ⊗ qk) ⊖ base) where qk &lt; 2^−7 without Q smoothing, else S ⊖ base.
    /// Under <see cref="PEncoding.LogLinear"/> the argument z ≈ 8·x + 55.5 of <see cref="Softmax.LogLinearCodes"/> instead.
    /// </summary>
    public float[] ExponentArguments { get; }

    /// <summary>
    /// OnlineSoftmax: P = exp2(x) in fp32 (x of <see cref="ExponentArguments"/>). Under <see cref="PEncoding.LogLinear"/>,
    /// which forms no fp32 P, the E4M3 value of each code (<see cref="ProbabilityCodes"/> decoded: the P that PV multiplies).
    /// </summary>
    public float[] Probabilities { get; }

    /// <summary>PQuantization: P as E4M3 codes.</summary>
    public byte[] ProbabilityCodes { get; }

    /// <summary>PvAccumulation: the fresh inner accumulators (two-level modes: one block of d values per row, FP32 or FP16 values; Fp32: none).</summary>
    public float[] PvBlocks { get; }

    /// <summary>PvAccumulation: acc_o after this tile.</summary>
    public float[] AccumulatorAfter { get; }

    /// <summary>PvAccumulation: the row sum l after this tile (the row-sum column: the FP8 P codes summed by the tensor core).</summary>
    public float[] RowSumAfter { get; }
}
