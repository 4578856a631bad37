using Sage.Emulation;
using Sage.Emulation.Preprocessing;
using Sage.Cuda.Preprocessing;

namespace Sage.Gpu.Tests.Preprocessing;

/// <summary>
/// The emulator's pre-processing stages (src/Sage.Emulation/Preprocessing: KSmoothing, QSmoothing, QkQuantization,
/// VQuantization, QuantGroups) run over every (batch, head) and laid out as the GPU kernels write their outputs
/// (PreprocessLayout). It calls the stages exactly as KeyValuePreprocessing and QueryTileEmulator do; the
/// CPU-only <see cref="OracleMatchesTraceTests"/> checks that against EmulatedAttention.Trace.
/// </summary>
internal sealed class PreprocessingOracle
{
    public required sbyte[] Q { get; init; }          // [B, Hq, padQ, d] (INT4 unpacked)
    public required float[] QScales { get; init; }    // [B, Hq, groups] (LOG2E_SCALE folded in)
    public required float[] QMeans { get; init; }     // [B, Hq, ⌈Nq/64⌉, d] (empty without SmoothQ)
    public required sbyte[] K { get; init; }          // [B, Hkv, padK, d]
    public required float[] KScales { get; init; }    // [B, Hkv, tiles, groups]
    public required float[] KMean { get; init; }      // [B, Hkv, d]
    public required float[] KSmoothed { get; init; }  // [B, Hkv, Nk, d]
    public required byte[] VCodes { get; init; }      // [B, Hkv, d, padK]
    public required float[] VScales { get; init; }    // [B, Hkv, d]
    public required float[] VMean { get; init; }      // [B, Hkv, d] (empty without SmoothV)
    public required float[] DeltaS { get; init; }     // [B, Hq, padQ/64, padK] (empty without SmoothQ)

    public static PreprocessingOracle Compute(AttentionProblem problem, SageOptions options, HostTensor q, HostTensor k, HostTensor v)
    {
        var s = problem.Shape;
        int d = s.HeadDim;
        float[] qs = q.ToSingleArray(), ks = k.ToSingleArray(), vs = v.ToSingleArray();
        int padQ = PreprocessLayout.PaddedQueryLength(s.QueryLength), padK = PreprocessLayout.PaddedKeyLength(s.KeyLength);
        int tiles = PreprocessLayout.KeyTiles(s.KeyLength), kGroups = PreprocessLayout.KeyGroupsPerTile(options.Granularity);
        int qGroups = PreprocessLayout.QueryGroups(options.Granularity, s.QueryLength), qBlocks = PreprocessLayout.QueryBlocks(s.QueryLength);
        int bhq = s.Batch * s.QueryHeads, bhk = s.Batch * s.KeyValueHeads;
        var oracle = new PreprocessingOracle
        {
            Q = new sbyte[(long)bhq * padQ * d],
            QScales = new float[(long)bhq * qGroups],
            QMeans = options.SmoothQ ? new float[(long)bhq * qBlocks * d] : [],
            K = new sbyte[(long)bhk * padK * d],
            KScales = new float[(long)bhk * tiles * kGroups],
            KMean = new float[(long)bhk * d],
            KSmoothed = new float[(long)bhk * s.KeyLength * d],
            VCodes = new byte[(long)bhk * d * padK],
            VScales = new float[(long)bhk * d],
            VMean = options.SmoothV ? new float[(long)bhk * d] : [],
            DeltaS = options.SmoothQ ? new float[(long)bhq * (padQ / KernelTiling.WarpgroupRows) * padK] : [],
        };
        Parallel.For(0, bhk, i => oracle.KeyValueHead(problem, options, ks, vs, i / s.KeyValueHeads, i % s.KeyValueHeads));
        Parallel.For(0, bhq, i => oracle.QueryHead(problem, options, qs, i / s.QueryHeads, i % s.QueryHeads));
        if (options.SmoothQ) Parallel.For(0, bhq, i => oracle.ScoreCorrection(problem, i / s.QueryHeads, i % s.QueryHeads));
        return oracle;
    }

    /// <summary>ΔS of every 64-row block of (b, h) for every key token, as QueryTileEmulator computes it per K tile.</summary>
    private void ScoreCorrection(AttentionProblem problem, int b, int h)
    {
        var s = problem.Shape;
        int d = s.HeadDim, nk = s.KeyLength;
        int padQ = PreprocessLayout.PaddedQueryLength(s.QueryLength), padK = PreprocessLayout.PaddedKeyLength(nk);
        int blocks = padQ / KernelTiling.WarpgroupRows, meanBlocks = PreprocessLayout.QueryBlocks(s.QueryLength);
        long bhq = (long)b * s.QueryHeads + h, bhk = (long)b * s.KeyValueHeads + h / s.GroupSize;
        float log2e = KernelConstants.SoftmaxScaleLog2(problem.SoftmaxScale);
        var keys = KSmoothed.AsSpan((int)(bhk * nk * d), nk * d);
        for (int block = 0; block < meanBlocks; block++)
            QSmoothing.ScoreCorrection(QMeans.AsSpan((int)((bhq * meanBlocks + block) * d), d), keys, nk, d, log2e,
                DeltaS.AsSpan((int)((bhq * blocks + block) * padK), padK));
        // Blocks past the last real row stay 0 (their rows are discarded).
    }

    /// <summary>As KeyValuePreprocessing.Prepare.</summary>
    private void KeyValueHead(AttentionProblem problem, SageOptions options, float[] k, float[] v, int b, int h)
    {
        var s = problem.Shape;
        int n = s.KeyLength, d = s.HeadDim;
        long bh = (long)b * s.KeyValueHeads + h;
        var keys = new float[(long)n * d];
        var values = new float[(long)n * d];
        for (int t = 0; t < n; t++)
        {
            long at = TokenOffset.Of(problem.Layout, s.KeyValueHeads, n, d, b, h, t);
            Array.Copy(k, at, keys, (long)t * d, d);
            Array.Copy(v, at, values, (long)t * d, d);
        }
        var mean = KMean.AsSpan((int)(bh * d), d);
        if (options.SmoothK)
        {
            KSmoothing.KeyMean(keys, n, d, options.KeyMeanTokens, mean);
            KSmoothing.Subtract(keys, n, d, mean);
        }
        keys.CopyTo(KSmoothed, bh * n * d);

        int tiles = PreprocessLayout.KeyTiles(n), padK = PreprocessLayout.PaddedKeyLength(n);
        int groups = QuantGroups.KeyGroupsPerTile(options.Granularity);
        var padded = new float[KernelTiling.KeyTileTokens * d];
        for (int tile = 0; tile < tiles; tile++)
        {
            int start = tile * KernelTiling.KeyTileTokens;
            int real = Math.Min(KernelTiling.KeyTileTokens, n - start);
            Array.Clear(padded);
            Array.Copy(keys, (long)start * d, padded, 0, (long)real * d);
            var granularity = options.Granularity;
            QkQuantization.Quantize(options.QkFormat, padded, KernelTiling.KeyTileTokens, d,
                token => QuantGroups.KeyGroup(granularity, token),
                KScales.AsSpan((int)((bh * tiles + tile) * groups), groups),
                K.AsSpan((int)((bh * padK + start) * d), KernelTiling.KeyTileTokens * d));
        }
        if (options.SmoothV)
        {
            var vmean = VMean.AsSpan((int)(bh * d), d);
            VSmoothing.ChannelMean(values, n, d, vmean);
            VSmoothing.Subtract(values, n, d, vmean);
        }
        VQuantization.Quantize(values, n, d, padK, KernelConstants.VMax(options.PvAccumulation),
            VScales.AsSpan((int)(bh * d), d), VCodes.AsSpan((int)(bh * d * padK), d * padK));
    }

    /// <summary>As QueryTileEmulator.LoadQueries + QuantizeQueries, tile by tile.</summary>
    private void QueryHead(AttentionProblem problem, SageOptions options, float[] q, int b, int h)
    {
        var s = problem.Shape;
        int n = s.QueryLength, d = s.HeadDim;
        long bh = (long)b * s.QueryHeads + h;
        int padQ = PreprocessLayout.PaddedQueryLength(n), qGroups = PreprocessLayout.QueryGroups(options.Granularity, n);
        int qBlocks = PreprocessLayout.QueryBlocks(n);
        float log2e = KernelConstants.SoftmaxScaleLog2(problem.SoftmaxScale);
        var granularity = options.Granularity;
        const int rowsPerTile = KernelTiling.QueryTileRows;
        var smoothed = new float[rowsPerTile * d];
        var mean = new float[d];
        var groupScales = new float[QuantGroups.QueryGroupsPerTile(granularity)];
        for (int tile = 0; tile * rowsPerTile < n; tile++)
        {
            int q0 = tile * rowsPerTile, rows = Math.Min(rowsPerTile, n - q0);
            Array.Clear(smoothed);
            for (int r = 0; r < rows; r++)
                Array.Copy(q, TokenOffset.Of(problem.Layout, s.QueryHeads, n, d, b, h, q0 + r), smoothed, r * d, d);
            if (options.SmoothQ)
            {
                for (int blk = 0; blk < 2; blk++)
                {
                    int blockRows = Math.Clamp(rows - blk * KernelTiling.WarpgroupRows, 0, KernelTiling.WarpgroupRows);
                    QSmoothing.SmoothBlock(smoothed.AsSpan(blk * KernelTiling.WarpgroupRows * d, KernelTiling.WarpgroupRows * d),
                        blockRows, d, mean);
                    int global = tile * 2 + blk;
                    if (global < qBlocks) mean.CopyTo(QMeans.AsSpan((int)((bh * qBlocks + global) * d), d));
                }
            }
            QkQuantization.Quantize(options.QkFormat, smoothed, rowsPerTile, d, r => QuantGroups.QueryGroup(granularity, r),
                groupScales, Q.AsSpan((int)((bh * padQ + q0) * d), rowsPerTile * d));
            for (int r = 0; r < rowsPerTile; r++)
            {
                int global = PreprocessLayout.QueryGroupOf(granularity, q0 + r);
                if (global < qGroups)
                    QScales[bh * qGroups + global] = groupScales[QuantGroups.QueryGroup(granularity, r)] * log2e;
            }
        }
    }
}
