namespace Sage.Emulation.Preprocessing;

/// <summary>
/// Everything the main loop reads for one (batch, key/value head): the output of the pre-processing kernels
/// (KSmoothing, K quantisation, VSmoothing, VQuantization). O(sequence × head dim), shared by the query heads of a GQA group.
/// </summary>
public sealed class PreparedKeyValueHead
{
    internal PreparedKeyValueHead(int length, int headDim)
    {
        Length = length;
        HeadDim = headDim;
        Tiles = KernelTiling.TileCount(length, KernelTiling.KeyTileTokens);
        PaddedLength = Tiles * KernelTiling.KeyTileTokens;
        KeyMean = new float[headDim];
        SmoothedKeys = new float[(long)length * headDim];
        QuantizedKeys = new sbyte[(long)PaddedLength * headDim];
        KeysTransposedAsSingle = new float[(long)PaddedLength * headDim];
        KeyScalePerToken = new float[PaddedLength];
        ValueMean = new float[headDim];
        ValueScales = new float[headDim];
        ValueCodesTransposed = new byte[(long)headDim * PaddedLength];
        ValuesTokenMajor = new float[(long)PaddedLength * headDim];
        ExponentsTokenMajor = new int[(long)PaddedLength * headDim];
    }

    public int Length { get; }
    public int HeadDim { get; }
    public int Tiles { get; }
    public int PaddedLength { get; }

    /// <summary>Per-channel mean of K (all zero without K smoothing).</summary>
    public float[] KeyMean { get; }

    /// <summary>K̃ in fp32, token-major (K itself without smoothing).</summary>
    public float[] SmoothedKeys { get; }

    /// <summary>Quantised K̃, token-major, padded tokens 0.</summary>
    public sbyte[] QuantizedKeys { get; }

    /// <summary>The same integers as float (exact), per 128-token tile channel-major ([tile][c][128]), for QKᵀ.</summary>
    public float[] KeysTransposedAsSingle { get; }

    /// <summary>K scales per group: [tile, group] flattened.</summary>
    public float[] KeyScales { get; internal set; } = [];

    /// <summary>Scale of each (padded) token's group.</summary>
    public float[] KeyScalePerToken { get; }

    /// <summary>Per-channel mean of V (all zero without V smoothing); the epilogue adds it back.</summary>
    public float[] ValueMean { get; }

    /// <summary>v_scale per channel (of Ṽ = V − mean with V smoothing).</summary>
    public float[] ValueScales { get; }

    /// <summary>V in E4M3 codes, channel-major (head dim × padded length), padding = +0.</summary>
    public byte[] ValueCodesTransposed { get; }

    /// <summary>Fills <see cref="ValuesTokenMajor"/> and <see cref="ExponentsTokenMajor"/> from <see cref="ValueCodesTransposed"/>.</summary>
    internal void DeriveTokenMajorValues()
    {
        var codeValues = Mainloop.Fp8PvFastPath.Values;
        var codeExponents = Mainloop.Fp8PvFastPath.Exponents;
        for (int c = 0; c < HeadDim; c++)
        for (int t = 0; t < PaddedLength; t++)
        {
            byte code = ValueCodesTransposed[(long)c * PaddedLength + t];
            ValuesTokenMajor[(long)t * HeadDim + c] = codeValues[code];
            ExponentsTokenMajor[(long)t * HeadDim + c] = codeExponents[code];
        }
    }

    /// <summary>The E4M3 values of V as fp32, token-major (for the vectorised PV path).</summary>
    public float[] ValuesTokenMajor { get; }

    /// <summary>The alignment exponents of V's codes, token-major (see <see cref="Mainloop.Fp8PvFastPath.Exponents"/>).</summary>
    public int[] ExponentsTokenMajor { get; }
}
