namespace Sage.Emulation.Tracing;

/// <summary>
/// Every intermediate of the emulated forward pass for one (batch, query head, query tile), stage by stage
/// (docs/kernel-spec.md §11), to locate the first stage where a kernel change departs from the contract.
/// </summary>
public sealed class EmulatorTrace
{
    internal EmulatorTrace(TraceSelection selection, SageOptions options, int rows, int headDim)
    {
        Selection = selection;
        Options = options;
        Rows = rows;
        HeadDim = headDim;
    }

    public TraceSelection Selection { get; }
    public SageOptions Options { get; }

    /// <summary>Real query rows of the tile (≤ 128); row r is query row 128·QueryTile + r.</summary>
    public int Rows { get; }
    public int HeadDim { get; }

    /// <summary>KSmoothing, for the query head's key/value head: channel means (zero without smoothing).</summary>
    public float[] KeyMean { get; internal set; } = [];

    /// <summary>QSmoothing: the mean of each 64-row block (2 × d), empty without Q smoothing.</summary>
    public float[] QueryMean { get; internal set; } = [];

    /// <summary>QkQuantization: the tile's quantised Q (128 × d, padded rows 0).</summary>
    public sbyte[] QuantizedQ { get; internal set; } = [];

    /// <summary>QkQuantization: the tile's Q group scales before LOG2E_SCALE is folded in.</summary>
    public float[] QueryGroupScales { get; internal set; } = [];

    /// <summary>QkQuantization: q_scale of each of the 128 rows (LOG2E_SCALE folded in).</summary>
    public float[] QueryScalePerRow { get; internal set; } = [];

    /// <summary>QkQuantization: the whole sequence's quantised K (padded tokens × d) and K group scales ([tile, group]).</summary>
    public sbyte[] QuantizedK { get; internal set; } = [];
    public float[] KeyGroupScales { get; internal set; } = [];

    /// <summary>VSmoothing, for the query head's key/value head: channel means of V (zero without V smoothing).</summary>
    public float[] ValueMean { get; internal set; } = [];

    /// <summary>VQuantization: v_scale per channel (of V − mean with V smoothing) and the E4M3 codes (channel-major, padded).</summary>
    public float[] ValueScales { get; internal set; } = [];
    public byte[] ValueCodesTransposed { get; internal set; } = [];

    /// <summary>One entry per visited K tile, in order.</summary>
    public IReadOnlyList<KeyTileTrace> KeyTiles => _tiles;
    internal readonly List<KeyTileTrace> _tiles = [];

    /// <summary>Epilogue: l per row, the row-sum column after the last visited tile (+0 for a row that saw no key).</summary>
    public float[] RowSums { get; internal set; } = [];

    /// <summary>Epilogue: O per row in fp32, before output rounding (rows × d).</summary>
    public float[] Output { get; internal set; } = [];

    /// <summary>Epilogue: natural-log LSE per row.</summary>
    public float[] Lse { get; internal set; } = [];
}
