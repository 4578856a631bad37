using Sage.Emulation.Diagnostics;
using Sage.Emulation.Epilogue;
using Sage.Emulation.Mainloop;
using Sage.Emulation.Preprocessing;
using Sage.Emulation.Softmax;
using Sage.Emulation.Tracing;
using Sage.Numerics;

namespace Sage.Emulation;

/// <summary>
/// One CTA of the kernel: a 128-row query tile of one (batch, query head) against its key/value head, through every
/// main-loop stage of docs/kernel-spec.md. Holds O(tile) scratch, reused across tiles by one worker thread.
/// </summary>
internal sealed class QueryTileEmulator
{
    private const int TileRows = KernelTiling.QueryTileRows;
    private const int TileKeys = KernelTiling.KeyTileTokens;

    private readonly AttentionProblem _problem;
    private readonly SageOptions _options;
    private readonly PvMma _mma;
    private readonly int _d;
    private readonly float _softmaxScaleLog2;

    private readonly float[] _queries;        // original Q rows (for the LSE correction)
    private readonly float[] _smoothed;       // Q̃ rows, padded rows 0
    private readonly sbyte[] _quantized;
    private readonly float[] _quantizedAsSingle;
    private readonly int[] _queryWords;       // quantised Q + 128 as packed bytes, for the AVX-VNNI QKᵀ
    private readonly float[] _groupScales;
    private readonly float[] _rowScale;
    private readonly float[] _queryMean;      // 2 blocks × d
    private readonly float[] _deltaS;         // 2 blocks × 128
    private readonly int[] _acc;              // 128 × 128
    private readonly float[] _scores = new float[TileRows * TileKeys];
    private readonly float[] _probabilities = new float[TileRows * TileKeys];
    private readonly byte[] _codes = new byte[TileRows * TileKeys];
    private readonly float[] _codeValues = new float[TileRows * TileKeys];
    private readonly sbyte[] _codeExponents = new sbyte[TileRows * TileKeys];
    private readonly float[] _rescale = new float[TileRows];
    private readonly OnlineSoftmax.Step[] _steps = new OnlineSoftmax.Step[TileRows];
    private readonly float[] _accO;           // 128 × d
    private readonly float[] _runningMax = new float[TileRows];
    private readonly float[] _tileMax = new float[TileRows];
    private readonly int[] _visible = new int[TileRows]; // keys of the current tile each row sees (§5.4)
    private readonly float[] _base = new float[TileRows];
    private readonly float[] _rowSums = new float[TileRows]; // l per row: the PV row-sum column (RowSumColumn)
    private readonly float[] _blocks;         // 128 × d: each row's inner PV accumulator (two-level modes)
    // The rows-in-lanes PV path (Fp8PvRowLaneKernel): P codes, values and exponents as [token][row], the output
    // accumulators and inner accumulators as [channel][row]; transposed back once per query tile.
    private readonly byte[] _codesT = new byte[TileRows * TileKeys];
    private readonly float[] _codeValuesT = new float[TileRows * TileKeys];
    private readonly sbyte[] _codeExponentsT = new sbyte[TileRows * TileKeys];
    private readonly float[] _accOT;          // d × 128
    private readonly float[] _blocksT;        // d × 128

    public QueryTileEmulator(AttentionProblem problem, SageOptions options, PvModelSet models)
    {
        _problem = problem;
        _options = options;
        _mma = models.For(options.PvAccumulation);
        _d = problem.Shape.HeadDim;
        _softmaxScaleLog2 = KernelConstants.SoftmaxScaleLog2(problem.SoftmaxScale);
        _queries = new float[TileRows * _d];
        _smoothed = new float[TileRows * _d];
        _quantized = new sbyte[TileRows * _d];
        _quantizedAsSingle = new float[TileRows * _d];
        _queryWords = new int[TileRows * _d / 4];
        _groupScales = new float[QuantGroups.QueryGroupsPerTile(options.Granularity)];
        _rowScale = new float[TileRows];
        _queryMean = new float[2 * _d];
        _deltaS = new float[2 * TileKeys];
        _acc = new int[TileRows * TileKeys];
        _accO = new float[TileRows * _d];
        _blocks = new float[TileRows * _d];
        _accOT = new float[TileRows * _d];
        _blocksT = new float[TileRows * _d];
    }

    /// <summary>Whether this worker computes <paramref name="problem"/> with <paramref name="options"/> (so it can be reused).</summary>
    public bool Fits(AttentionProblem problem, SageOptions options) =>
        (ReferenceEquals(problem, _problem) || problem.Equals(_problem)) && (ReferenceEquals(options, _options) || options.Equals(_options));

    /// <summary>Number of value slots per row that the PV stage's inner accumulator occupies in a trace (one block per tile).</summary>
    private int BlockValuesPerRow => _options.PvAccumulation == PvAccumulation.Fp32 ? 0 : _d;

    /// <summary>
    /// Runs the tile: Q rows of (batch, head) are read from <paramref name="q"/> via
    /// <paramref name="addressing"/>. Writes rows × d outputs (fp32, before output rounding) and rows LSE values.
    /// </summary>
    public void Run(float[] q, TokenAddressing addressing, int batch, int head, int tile, PreparedKeyValueHead kv,
        Span<float> output, Span<float> lse, EmulatorTrace? trace)
    {
        int d = _d;
        int q0 = tile * TileRows;
        int rows = Math.Min(TileRows, _problem.Shape.QueryLength - q0);
        long clock = PhaseClock.ThreadStart();
        LoadQueries(q, addressing, batch, head, q0, rows);
        QuantizeQueries(rows);
        if (trace is not null) RecordPreprocessing(trace, kv);

        var rowLane = trace is null && Fp8PvRowLaneKernel.Supports(kv) ? _mma.RowLaneKernel : null;
        Array.Clear(_accO);
        if (rowLane is not null) Array.Clear(_accOT);
        Array.Fill(_runningMax, float.NegativeInfinity);
        Array.Clear(_base);
        Array.Clear(_rowSums);
        clock = PhaseClock.ThreadLap(Phase.QueryLoad, clock);

        int visitedTiles = VisitedKeyTiles(q0, rows, kv.Tiles);
        for (int kt = 0; kt < visitedTiles; kt++)
        {
            int k0 = kt * TileKeys;
            int realKeys = Math.Min(TileKeys, kv.Length - k0);
            var tileTrace = trace is null ? null : new KeyTileTrace(kt, rows, d, BlockValuesPerRow);
            if (QkProduct.BytePathSupported)
                QkProduct.MultiplyBytes(_queryWords, kv.KeysInterleaved.AsSpan(k0 * d, TileKeys * d), kv.KeySums.AsSpan(k0, TileKeys),
                    Math.Min(TileRows, (rows + 3) / 4 * 4), d, _acc);
            else
                QkProduct.Multiply(_quantizedAsSingle, kv.KeysTransposedAsSingle.AsSpan(k0 * d, TileKeys * d), rows, d, _acc);
            clock = PhaseClock.ThreadLap(Phase.Qk, clock);
            if (_options.SmoothQ)
            {
                for (int b = 0; b < 2; b++)
                    QSmoothing.ScoreCorrection(_queryMean.AsSpan(b * d, d), kv.SmoothedKeys.AsSpan(k0 * d), realKeys, d,
                        _softmaxScaleLog2, _deltaS.AsSpan(b * TileKeys, TileKeys));
                if (tileTrace is not null) tileTrace.DeltaS = (float[])_deltaS.Clone();
            }
            var keyScales = kv.KeyScalePerToken.AsSpan(k0, TileKeys);
            // OnlineSoftmax.Update, row by row, in two passes: the scores and tile maxima of every row, the rescale
            // factors of all rows together (one span exp2), then each row's P and codes.
            for (int i = 0; i < rows; i++)
            {
                int visible = Math.Min(realKeys, _problem.LastVisibleKey(q0 + i) - k0 + 1);
                var deltaS = _options.SmoothQ
                    ? _deltaS.AsSpan(i / KernelTiling.WarpgroupRows * TileKeys, TileKeys)
                    : ReadOnlySpan<float>.Empty;
                var scores = _scores.AsSpan(i * TileKeys, TileKeys);
                ScoreDequantization.Dequantize(_acc.AsSpan(i * TileKeys, TileKeys), _rowScale[i], keyScales, deltaS, visible, scores);
                _tileMax[i] = OnlineSoftmax.TileMax(scores);
                _visible[i] = visible;
            }
            OnlineSoftmax.StepRows(_tileMax.AsSpan(0, rows), _runningMax, _steps, _options.PEncoding);
            for (int i = 0; i < rows; i++)
            {
                var step = _steps[i];
                var probabilities = _probabilities.AsSpan(i * TileKeys, TileKeys);
                var acc = _acc.AsSpan(i * TileKeys, TileKeys);
                var scores = _scores.AsSpan(i * TileKeys, TileKeys);
                if (_options.PEncoding == PEncoding.LogLinear)
                {
                    // The codes straight from z = 8·x + 55.5 (§7.8); the row's probabilities span holds z.
                    LogLinearCodes.Encode(acc, _rowScale[i], keyScales, _options.SmoothQ, scores, _visible[i], step.Base, probabilities,
                        _codes.AsSpan(i * TileKeys, TileKeys));
                    if (tileTrace is not null)
                    {
                        // The trace keeps z as the argument and, as P, the value each code stands for (what PV multiplies).
                        probabilities.CopyTo(tileTrace.ExponentArguments.AsSpan(i * TileKeys));
                        Fp8E4M3.Decode(_codes.AsSpan(i * TileKeys, TileKeys), probabilities);
                    }
                }
                else if (tileTrace is null)
                {
                    ExponentArgument.Exponentiate(acc, _rowScale[i], keyScales, _options.SmoothQ, scores, _visible[i], step.Base, probabilities);
                    OnlineSoftmax.Quantize(probabilities, _codes.AsSpan(i * TileKeys, TileKeys));
                }
                else
                {
                    ExponentArgument.Form(acc, _rowScale[i], keyScales, _options.SmoothQ, scores, _visible[i], step.Base, probabilities);
                    probabilities.CopyTo(tileTrace.ExponentArguments.AsSpan(i * TileKeys));
                    OnlineSoftmax.ExponentiateArguments(probabilities, TileKeys, _codes.AsSpan(i * TileKeys, TileKeys));
                }
                if (rowLane is null)
                    Fp8PvTileKernel.Decode(_codes.AsSpan(i * TileKeys, TileKeys), _codeValues.AsSpan(i * TileKeys, TileKeys),
                        _codeExponents.AsSpan(i * TileKeys, TileKeys));
                _base[i] = step.Base;
                _rescale[i] = step.Rescale;
            }
            if (rowLane is not null)
            {
                // Every row of the tile is a lane: rows past the end multiply zero codes into zero accumulators.
                _codes.AsSpan(rows * TileKeys).Clear();
                _rescale.AsSpan(rows).Fill(1f);
                Fp8PvRowLaneKernel.TransposeCodes(_codes, _codesT);
                Fp8PvTileKernel.Decode(_codesT, _codeValuesT, _codeExponentsT);
                clock = PhaseClock.ThreadLap(Phase.Softmax, clock);
                PvAccumulationStage.AccumulateTileTransposed(_options.PvAccumulation, rowLane, _codesT, _codeValuesT, _codeExponentsT,
                    kv, k0, _rescale, _accOT, _blocksT);
                RowSumColumn.UpdateTransposed(rowLane, _codesT, _codeValuesT, _codeExponentsT, _rescale, _rowSums);
                clock = PhaseClock.ThreadLap(Phase.Pv, clock);
                continue;
            }
            // Rows past the tile's end (up to the PV kernel's row block) multiply zero codes into zero accumulators.
            int padded = Math.Min(TileRows, (rows + 3) / 4 * 4);
            _codes.AsSpan(rows * TileKeys, (padded - rows) * TileKeys).Clear();
            _codeValues.AsSpan(rows * TileKeys, (padded - rows) * TileKeys).Clear();
            _codeExponents.AsSpan(rows * TileKeys, (padded - rows) * TileKeys).Fill(-64);
            _rescale.AsSpan(rows).Fill(1f);
            clock = PhaseClock.ThreadLap(Phase.Softmax, clock);
            PvAccumulationStage.AccumulateTile(_options.PvAccumulation, _mma, _codes, _codeValues, _codeExponents, rows, kv, k0,
                _rescale, _accO, _blocks);
            // The row-sum column of the PV product (spec §8), one model chain per row.
            RowSumColumn.UpdateRows(_mma, _codes, rows, _rescale, _rowSums);
            clock = PhaseClock.ThreadLap(Phase.Pv, clock);
            if (tileTrace is not null)
                for (int i = 0; i < rows; i++)
                    RecordRow(tileTrace, i, _steps[i], _blocks.AsSpan(i * d, BlockValuesPerRow));
            if (tileTrace is not null)
            {
                Array.Copy(_acc, tileTrace.QkAccumulator, rows * TileKeys);
                Array.Copy(_accO, tileTrace.AccumulatorAfter, rows * d);
                Array.Copy(_rowSums, tileTrace.RowSumAfter, rows);
                trace!._tiles.Add(tileTrace);
            }
        }

        if (rowLane is not null)
            for (int i = 0; i < rows; i++)
            for (int c = 0; c < d; c++)
                _accO[i * d + c] = _accOT[c * TileRows + i];
        float[]? rowSums = trace is null ? null : new float[rows];
        for (int i = 0; i < rows; i++)
        {
            float l = _rowSums[i];
            if (rowSums is not null) rowSums[i] = l;
            EpilogueStage.Normalize(_accO.AsSpan(i * d, d), l, kv.ValueScales,
                _options.SmoothV ? kv.ValueMean : ReadOnlySpan<float>.Empty, output.Slice(i * d, d));
            if (!lse.IsEmpty)
                lse[i] = EpilogueStage.LogSumExp(_base[i], l, _queries.AsSpan(i * d, d), kv.KeyMean, _options.SmoothK, _problem.SoftmaxScale);
        }
        PhaseClock.ThreadLap(Phase.Epilogue, clock);
        if (trace is not null)
        {
            trace.RowSums = rowSums!;
            trace.Output = output.Slice(0, rows * d).ToArray();
            trace.Lse = lse.IsEmpty ? [] : lse.Slice(0, rows).ToArray();
        }
    }

    /// <summary>K tiles the CTA visits (docs/kernel-spec.md §6).</summary>
    private int VisitedKeyTiles(int q0, int rows, int keyTiles)
    {
        if (!_problem.Causal) return keyTiles;
        int lastKey = _problem.LastVisibleKey(q0 + rows - 1);
        return lastKey < 0 ? 0 : lastKey / TileKeys + 1;
    }

    private void LoadQueries(float[] q, TokenAddressing addressing, int batch, int head, int q0, int rows)
    {
        int d = _d;
        Array.Clear(_queries);
        for (int r = 0; r < rows; r++)
            Array.Copy(q, addressing.Offset(batch, head, q0 + r), _queries, r * d, d);
        Array.Copy(_queries, _smoothed, _queries.Length);
        Array.Clear(_queryMean);
        if (!_options.SmoothQ) return;
        for (int b = 0; b < 2; b++)
        {
            int blockRows = Math.Clamp(rows - b * KernelTiling.WarpgroupRows, 0, KernelTiling.WarpgroupRows);
            QSmoothing.SmoothBlock(_smoothed.AsSpan(b * KernelTiling.WarpgroupRows * d, KernelTiling.WarpgroupRows * d),
                blockRows, d, _queryMean.AsSpan(b * d, d));
        }
    }

    private void QuantizeQueries(int rows)
    {
        var g = _options.Granularity;
        // Padded rows are zero and join their group harmlessly (a zero never raises a maximum).
        QkQuantization.Quantize(_options.QkFormat, _smoothed, TileRows, _d, r => QuantGroups.QueryGroup(g, r), _groupScales, _quantized);
        if (QkProduct.BytePathSupported) QkProduct.PackQueryWords(_quantized, _queryWords);
        else for (int i = 0; i < _quantized.Length; i++) _quantizedAsSingle[i] = _quantized[i];
        for (int r = 0; r < TileRows; r++) _rowScale[r] = _groupScales[QuantGroups.QueryGroup(g, r)] * _softmaxScaleLog2;
        _ = rows;
    }

    private void RecordPreprocessing(EmulatorTrace trace, PreparedKeyValueHead kv)
    {
        trace.KeyMean = (float[])kv.KeyMean.Clone();
        trace.QueryMean = _options.SmoothQ ? (float[])_queryMean.Clone() : [];
        trace.QuantizedQ = (sbyte[])_quantized.Clone();
        trace.QueryGroupScales = (float[])_groupScales.Clone();
        trace.QueryScalePerRow = (float[])_rowScale.Clone();
        trace.QuantizedK = (sbyte[])kv.QuantizedKeys.Clone();
        trace.KeyGroupScales = (float[])kv.KeyScales.Clone();
        trace.ValueMean = (float[])kv.ValueMean.Clone();
        trace.ValueScales = (float[])kv.ValueScales.Clone();
        trace.ValueCodesTransposed = (byte[])kv.ValueCodesTransposed.Clone();
    }

    private void RecordRow(KeyTileTrace t, int i, OnlineSoftmax.Step step, ReadOnlySpan<float> blocks)
    {
        _scores.AsSpan(i * TileKeys, TileKeys).CopyTo(t.Scores.AsSpan(i * TileKeys));
        _probabilities.AsSpan(i * TileKeys, TileKeys).CopyTo(t.Probabilities.AsSpan(i * TileKeys));
        _codes.AsSpan(i * TileKeys, TileKeys).CopyTo(t.ProbabilityCodes.AsSpan(i * TileKeys));
        t.TileMax[i] = step.TileMax;
        t.NewMax[i] = step.NewMax;
        t.Rescale[i] = step.Rescale;
        t.Base[i] = step.Base;
        blocks.CopyTo(t.PvBlocks.AsSpan(i * blocks.Length));
    }
}
