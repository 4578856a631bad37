namespace Sage.Cuda.Preprocessing;

/// <summary>
/// The pre-processing kernels of docs/kernel-spec.md §1-§4 on the GPU: KSmoothing, QSmoothing (means, Q − mean and
/// ΔS), INT8/INT4 quantisation of Q and K at every granularity, VSmoothing and per-channel FP8 E4M3 quantisation of
/// V. Bit-exact with the emulator's stages (tests/Gpu/Preprocessing). Kernels are compiled once per instance through
/// NVRTC (with --fmad=false; every rounding is an explicit _rn intrinsic or PTX cvt).
/// Every device method queues its work on the given stream (null: the legacy default stream) and returns without
/// waiting; outputs and per-call scratch are stream-ordered allocations on that stream (released in stream order
/// when disposed), so nothing synchronises the device. Thread-safe: an instance holds only its loaded modules, and
/// each call has its own scratch.
/// <para><see cref="Preprocess(AttentionProblem, SageOptions, DeviceTensor, DeviceTensor, DeviceTensor, CudaStream?, bool)"/> runs
/// the path of <see cref="Path"/> (<see cref="PreprocessPath"/>: the fused kernels of preprocess_fused.cu, three
/// launches, by default, or the per-stage kernels <see cref="QuantizeKeys"/>, <see cref="QuantizeQueries"/>,
/// <see cref="QuantizeValues"/>, eight launches and fills); Q, K and V of different element types always take the
/// per-stage kernels. Both give the same bits (tests/Gpu/Preprocessing runs every case on both).</para>
/// <para>Constructing one makes the device's default memory pool keep freed memory (<see cref="PoolRetention"/>), so
/// the per-call buffers are not mapped afresh on every call.</para>
/// </summary>
public sealed partial class GpuPreprocessor : IDisposable
{
    private const uint Threads = 256; // SAGE_THREADS in preprocess_common.cuh
    private const double Log2E = 1.4426950408889634;

    private readonly CudaContext _context;
    private readonly CudaModule _keySmoothing;
    private readonly CudaModule _qkQuantize;
    private readonly CudaModule _vQuantize;

    private readonly CudaModule _scoreCorrection;
    private readonly CudaModule _fused;

    /// <summary>
    /// Environment variable naming the default <see cref="Path"/>: "fused" (three launches) or "separate";
    /// unset or empty: <see cref="DefaultPath"/>.
    /// </summary>
    public const string PathEnvironmentVariable = "SAGE_PREPROCESS";

    /// <summary>The path used when neither the constructor nor <see cref="PathEnvironmentVariable"/> names one.</summary>
    public const PreprocessPath DefaultPath = PreprocessPath.ThreeLaunches;

    /// <param name="context">The context whose device runs the kernels.</param>
    /// <param name="compiler">The NVRTC compiler (null: a new one with the default cache).</param>
    /// <param name="path">How device tensors are pre-processed (null: <see cref="PathEnvironmentVariable"/>, else <see cref="DefaultPath"/>).</param>
    public GpuPreprocessor(CudaContext context, KernelCompiler? compiler = null, PreprocessPath? path = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (path is { } p && !Enum.IsDefined(p))
            throw new ArgumentOutOfRangeException(nameof(path), p, $"expected one of {string.Join(", ", Enum.GetNames<PreprocessPath>())}.");
        _context = context;
        Path = path ?? SelectedPath(Environment.GetEnvironmentVariable(PathEnvironmentVariable));
        compiler ??= new KernelCompiler();
        PoolRetention.Apply(context);
        // SAGE_PREPROCESS_DEFINES: macros for probing variants of the fused kernels and the trimmed mean (KernelDefines);
        // none by default.
        var defines = KernelDefines.Parse(Environment.GetEnvironmentVariable(DefinesEnvironmentVariable), DefinesEnvironmentVariable);
        _keySmoothing = compiler.Load(context, Source("key_smoothing.cu"), defines);
        try
        {
            _qkQuantize = compiler.Load(context, Source("qk_quantize.cu"));
            _vQuantize = compiler.Load(context, Source("v_quantize.cu"));
            _scoreCorrection = compiler.Load(context, Source("score_correction.cu"));
            _fused = compiler.Load(context, Source("preprocess_fused.cu"), defines);
            _ring = RingShape.Of(defines);
        }
        catch
        {
            _keySmoothing.Dispose();
            _qkQuantize?.Dispose();
            _vQuantize?.Dispose();
            _scoreCorrection?.Dispose();
            throw;
        }
    }

    /// <summary>How <c>Preprocess</c> launches the pre-processing of device tensors.</summary>
    public PreprocessPath Path { get; }

    /// <summary>LOG2E_SCALE of §3: float(softmax scale · log2 e), folded into the stored q_scale.</summary>
    internal static float Log2EScale(AttentionProblem problem) => (float)(problem.SoftmaxScale * Log2E);

    /// <summary>Reads <see cref="PathEnvironmentVariable"/>: null or empty → <see cref="DefaultPath"/>; "fused", "separate".</summary>
    internal static PreprocessPath SelectedPath(string? value) => value switch
    {
        null or "" => DefaultPath,
        "fused" => PreprocessPath.ThreeLaunches,
        "separate" => PreprocessPath.Separate,
        _ => throw new ArgumentException($"{PathEnvironmentVariable}={value}: expected 'fused' or 'separate'."),
    };

    /// <summary>Resource names of the kernels (for compile checks).</summary>
    public static IReadOnlyList<string> KernelResources { get; } =
        ["Sage.Cuda.Kernels.Preprocess.key_smoothing.cu", "Sage.Cuda.Kernels.Preprocess.qk_quantize.cu", "Sage.Cuda.Kernels.Preprocess.v_quantize.cu",
         "Sage.Cuda.Kernels.Preprocess.score_correction.cu", "Sage.Cuda.Kernels.Preprocess.preprocess_fused.cu"];

    /// <summary>Uploads host tensors, runs all three stages and waits for them.</summary>
    public PreprocessedInputs Preprocess(AttentionProblem problem, SageOptions options, HostTensor q, HostTensor k, HostTensor v)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(problem);
        problem.CheckInputs(q, k, v);
        using var qd = Upload(q);
        using var kd = Upload(k);
        using var vd = Upload(v);
        var result = Preprocess(problem, options, qd.Tensor, kd.Tensor, vd.Tensor);
        _context.Synchronize(); // the uploads are freed on return: the kernels must be done with them
        return result;
    }

    /// <summary>
    /// Runs KSmoothing + K quantisation, QSmoothing + Q quantisation (+ ΔS with SmoothQ) and VSmoothing + V quantisation,
    /// queued on <paramref name="stream"/> (null: the legacy default stream). With <paramref name="quantizeQueries"/>
    /// false Q is left to the main loop (<see cref="PreprocessedInputs.Queries"/> is null; Q is still checked, the main
    /// loop reads it), as CudaAttention does where <see cref="CudaAttention.QuantizesQueriesInMainLoop"/> says so; not with
    /// SmoothQ, whose ΔS needs the block means formed here.
    /// </summary>
    public PreprocessedInputs Preprocess(AttentionProblem problem, SageOptions options, DeviceTensor q, DeviceTensor k, DeviceTensor v,
        CudaStream? stream = null, bool quantizeQueries = true)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(options);
        if (!quantizeQueries && options.SmoothQ)
            throw new ArgumentException("SmoothQ needs Q quantised in the pre-processing (its block means form ΔS): pass quantizeQueries = true.",
                nameof(quantizeQueries));
        if (Path != PreprocessPath.Separate && q.ElementType == k.ElementType && k.ElementType == v.ElementType)
            return PreprocessFused(problem, options, q, k, v, stream, quantizeQueries);
        if (!quantizeQueries) CheckTensor(q, problem.Shape.QueryShape(problem.Layout), nameof(q));
        var keys = QuantizeKeys(problem, options, k, stream);
        QuantizedQueries? queries = null;
        QuantizedValues? values = null;
        DeviceBuffer<double>? lseDot = null;
        try
        {
            if (quantizeQueries) queries = QuantizeQueries(problem, options, q, stream);
            values = QuantizeValues(problem, options, v, stream);
            lseDot = LseDots(problem, options, q, keys.Mean, stream);
            var deltaS = options.SmoothQ ? ScoreCorrection(problem, queries!, keys, stream) : null;
            return new PreprocessedInputs(queries, keys, values, deltaS, lseDot);
        }
        catch
        {
            keys.Dispose();
            queries?.Dispose();
            values?.Dispose();
            lseDot?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The fused path (preprocess_fused.cu): launch 1 reads K and V once for the tile statistics (K chunk sums, V chunk
    /// sums with SmoothV, V minima and maxima) and quantises Q; the K/V means and the V scales are formed by the statistics
    /// CTA of launch 1 that completes each head (or by launch 2, see <see cref="FinishLaunch"/>); launch 3
    /// writes the K and V codes; ΔS (SmoothQ) follows as on the per-stage path. Every output is written by a kernel, so
    /// no output is filled (only the per-head counters, scratch, are zeroed); the partials are per-call scratch released
    /// in stream order. Without
    /// <paramref name="quantizeQueries"/> launch 1 runs only the statistics blocks.
    /// </summary>
    private PreprocessedInputs PreprocessFused(AttentionProblem problem, SageOptions options, DeviceTensor q, DeviceTensor k, DeviceTensor v,
        CudaStream? stream, bool quantizeQueries)
    {
        Check(problem, options);
        var s = problem.Shape;
        CheckTensor(q, s.QueryShape(problem.Layout), nameof(q));
        CheckTensor(k, s.KeyValueShape(problem.Layout), nameof(k));
        CheckTensor(v, s.KeyValueShape(problem.Layout), nameof(v));
        int d = s.HeadDim, nq = s.QueryLength, nk = s.KeyLength;
        // SmoothK's trimmed mean over a strided sample (KeyMeanTokens.Strided, §1) comes from its own kernel
        // (key_trimmed_sample_mean), so launch 1 forms no K statistics: with V in one pass none at all (Q blocks only, run
        // beside the mean's kernel), with V in two passes the V statistics alone (the mean follows). With the sample, V goes
        // in one pass wherever it can (unless SAGE_PREPROCESS_V=two-pass): the pre-processing then reads K and V once each
        // but the sample (H100, 2K d = 64: the two-pass form was 5 % slower end to end than the full mean, session 34).
        var keySample = options.SmoothK ? KeyMeanSample.Of(nk, options.KeyMeanTokens) : new KeyMeanSample(nk, 1);
        bool sampledMean = !keySample.IsEveryToken(nk);
        bool onePassValues = !FinishLaunch && (ReadsValuesOnce(ValuePassChoice, s, options, q.ElementType) ||
            (sampledMean && ValuePassChoice != ValuePasses.Two && OnePassValuesApply(s, options, q.ElementType)));
        bool smoothKInFirst = options.SmoothK && !sampledMean;
        // V in one pass (launch 3's value_onepass or the ring; launch 1 then forms the K sums alone) where it applies; split
        // statistics only with K sums in launch 1: without them the K half of each CTA would idle.
        bool splitStatistics = SplitStatistics && smoothKInFirst && !onePassValues;
        var g = FusedPreprocessGeometry.Of(s, splitStatistics);
        // Launch 1's statistics: none with the sample and V in one pass (its Q blocks are the same either way).
        bool noStatistics = sampledMean && onePassValues;
        var gStats = noStatistics ? g with { StatsItems = 0, StatsBlocks = 0, PartialsPerArray = 0 } : g;
        int rowBytes = PreprocessLayout.QuantizedRowBytes(options.QkFormat, d);
        int padQ = PreprocessLayout.PaddedQueryLength(nq), padK = PreprocessLayout.PaddedKeyLength(nk);
        int qGroups = PreprocessLayout.QueryGroups(options.Granularity, nq);
        int kGroups = PreprocessLayout.KeyGroupsPerTile(options.Granularity);
        long bhq = (long)s.Batch * s.QueryHeads, bhk = g.KeyValueHeads;
        var qStrides = Strides(problem.Layout, s.QueryHeads, nq, d);
        var kvStrides = Strides(problem.Layout, s.KeyValueHeads, nk, d);
        string kernels = $"{Suffix(q.ElementType)}_d{d}";
        int int4 = options.QkFormat == QkFormat.Int4 ? 1 : 0;
        float log2eScale = Log2EScale(problem);
        static KernelArgument Optional<T>(DeviceBuffer<T>? b) where T : unmanaged => KernelArgument.DevicePointer(b?.Pointer ?? 0);

        // Launch 1 forms the means and V scales itself (its last statistics CTA of each head) unless FinishLaunch says
        // otherwise or there are no statistics CTAs (Nk = 0: launch 2 writes the zeros).
        // Where a head is one tile in the keys-only layout (V in one pass, N ≤ 128), launch 1's
        // statistics threads form the means themselves (preprocess_fused.cu 1a''): no counters, no finish.
        bool meansInThreads = onePassValues && gStats.TilesPerHead == 1 && gStats.StatsItems > 0;
        bool finishInFirst = !FinishLaunch && gStats.StatsItems > 0 && !meansInThreads;
        // Launch 3 may start as launch 1's programmatic dependent only when it follows launch 1 directly.
        bool codesFollowFirst = (finishInFirst || meansInThreads) && !sampledMean;
        // Every output and scratch buffer of the call in one arena (one allocation and one release per call instead of
        // seven to twelve of each, nine at d = 128 by default: host time at short sequences, where the host's enqueue
        // time is part of e2e).
        long qValueCount = quantizeQueries ? bhq * padQ * rowBytes : 0, qScaleCount = quantizeQueries ? bhq * qGroups : 0;
        long qMeanCount = options.SmoothQ ? bhq * PreprocessLayout.QueryBlocks(nq) * d : 0;
        long perChannel = bhk * d, vMeanCount = options.SmoothV ? perChannel : 0, counterCount = finishInFirst ? bhk : 0;
        // With V in one pass launch 1 writes, and its finish reads, the K sums alone: the first of the four partial arrays
        // (preprocess_fused.cu, partials_of; the other three are never dereferenced).
        long partialCount = meansInThreads ? 0 : onePassValues ? gStats.PartialsPerArray : g.PartialsTotal;
        long kValueCount = bhk * padK * rowBytes, kScaleCount = bhk * g.TilesPerHead * kGroups;
        long kSmoothedCount = options.SmoothQ ? bhk * nk * d : 0, vCodeCount = bhk * d * padK;
        var plan = new DeviceArena.Plan()
            .Add<sbyte>(qValueCount).Add<float>(qScaleCount).Add<float>(qMeanCount).Add<float>(partialCount)
            .Add<float>(perChannel).Add<float>(perChannel).Add<float>(vMeanCount).Add<int>(counterCount)
            .Add<sbyte>(kValueCount).Add<float>(kScaleCount).Add<float>(kSmoothedCount).Add<byte>(vCodeCount);
        var arena = DeviceArena.Allocate(_context, plan.Bytes, stream);
        DeviceBuffer<double>? lseDot = null;
        try
        {
            var qValues = quantizeQueries ? arena.Take<sbyte>(qValueCount) : null;
            var qScales = quantizeQueries ? arena.Take<float>(qScaleCount) : null;
            var qMeans = options.SmoothQ ? arena.Take<float>(qMeanCount) : null;
            var partials = partialCount > 0 ? arena.Take<float>(partialCount) : null; // scratch
            var kMean = arena.Take<float>(perChannel);
            var vScales = arena.Take<float>(perChannel);
            var vMean = options.SmoothV ? arena.Take<float>(vMeanCount) : null;
            var headCounters = finishInFirst ? arena.Take<int>(counterCount) : null; // scratch
            headCounters?.EnqueueFill(0, stream);
            var kValues = arena.Take<sbyte>(kValueCount);
            var kScales = arena.Take<float>(kScaleCount);
            var kSmoothed = options.SmoothQ ? arena.Take<float>(kSmoothedCount) : null;
            var vCodes = arena.Take<byte>(vCodeCount);
            // Launch 3 as the ring where it applies; the ring quantises Q in place of launch 1 where QueriesInRing says so and
            // it applies (the mean first, then the ring as its dependent).
            bool ringCodes = g.KeyTiles > 0 && CodesChoice == CodesSchedule.Ring && RingCodesApply(problem, options, k, v, onePassValues);
            bool queriesInRing = ringCodes && QueriesInRing && noStatistics && quantizeQueries && RingQueriesApply(problem, q);
            int firstLaunchBlocks = queriesInRing ? 0 : gStats.FirstLaunchBlocks(q.ElementType, quantizeQueries);
            // Without statistics in launch 1 (the sample, V in one pass) the sample's trimmed mean goes first, and then either the
            // ring with the Q items (queriesInRing) or launch 1's Q blocks beside it as its programmatic dependent (they wait
            // for it only before they exit).
            if (noStatistics) TrimmedSampleMean(k, kvStrides, keySample, Suffix(k.ElementType), d, s.KeyValueHeads, s.Batch, kMean, stream);
            if (firstLaunchBlocks > 0)
                _fused.GetFunction("preprocess_stats_queries_" + kernels).Launch(new Dim3((uint)firstLaunchBlocks), Threads, 0, stream, noStatistics, [
                    KernelArgument.DevicePointer(q.Pointer), qStrides.Batch, qStrides.Head, qStrides.Token, nq, s.QueryHeads,
                    g.QueryBlocksPerHead, options.SmoothQ ? 1 : 0, (int)options.Granularity, int4, log2eScale, Optional(qScales), qGroups,
                    Optional(qValues), padQ, Optional(qMeans),
                    KernelArgument.DevicePointer(k.Pointer), KernelArgument.DevicePointer(v.Pointer),
                    kvStrides.Batch, kvStrides.Head, kvStrides.Token, nk, s.KeyValueHeads, gStats.TilesPerHead,
                    smoothKInFirst ? 1 : 0, options.SmoothV ? 1 : 0, Optional(partials), gStats.StatsItems, gStats.StatsBlocks,
                    (int)(onePassValues ? StatisticsLayout.KeysOnly : splitStatistics ? StatisticsLayout.Split : StatisticsLayout.Joint),
                    Optional(headCounters), (float)options.VScaleMax, kMean, Optional(vMean), vScales]);

            if (bhk > 0 && !finishInFirst && !meansInThreads && !noStatistics)
                _fused.GetFunction("preprocess_finish").Launch(new Dim3((uint)bhk), (uint)d, 0, stream,
                    Optional(partials), g.PartialsPerArray, g.TilesPerHead, nk, d, smoothKInFirst ? 1 : 0, options.SmoothV ? 1 : 0,
                    (float)options.VScaleMax, kMean, Optional(vMean), vScales);

            // With V in two passes the sample's trimmed mean follows launch 1 (or 2), which wrote kMean = 0 first.
            if (sampledMean && !noStatistics)
                TrimmedSampleMean(k, kvStrides, keySample, Suffix(k.ElementType), d, s.KeyValueHeads, s.Batch, kMean, stream);
            var keyMean = options.SmoothK ? (KernelArgument)kMean : KernelArgument.DevicePointer(0);
            // Launch 3 (ring or per tile) as launch 1's programmatic dependent: only right after launch 1, i.e. when launch 1
            // finishes the heads itself (launch 3's griddepcontrol.wait orders it after the kernel before it), and only when
            // launch 1 has no Q blocks (the main loop quantises Q, d = 64): its statistics CTAs alone leave SMs idle, which
            // launch 3's CTAs then fill (d = 64: 2K-4K 2-3 % faster end to end). Beside launch 1's 2048 Q CTAs at d = 128 the
            // early row loads only slowed launch 1 (2K 3-4 % slower per tile, session 27; the ring −1.4 to +0.6 %, session 35).
            bool codesDependent = (DependentCodes && codesFollowFirst && !quantizeQueries) || queriesInRing;
            if (ringCodes)
                LaunchRingCodes(kernels, s, problem.Layout, options, k, v, g, padK, keyMean, kScales, kValues, vScales, vCodes,
                    codesDependent, stream, queriesInRing ? new RingQueries(q, log2eScale, qScales!, qGroups, qValues!, padQ) : null);
            else if (g.KeyTiles > 0)
            {
                KernelArgument[] codeArguments =
                [
                    KernelArgument.DevicePointer(k.Pointer), KernelArgument.DevicePointer(v.Pointer),
                    kvStrides.Batch, kvStrides.Head, kvStrides.Token, nk, s.KeyValueHeads, g.TilesPerHead, g.KeyTiles,
                    keyMean, (int)options.Granularity, int4,
                    kScales, kValues, padK, Optional(kSmoothed), Optional(vMean), vScales, vCodes, (float)options.VScaleMax,
                ];
                // V in one pass: the kernel whose V CTAs are value_onepass's, with its own register bound
                // (SAGE_ONEPASS_MIN_BLOCKS of preprocess_fused.cu); the same parameters.
                var codes = _fused.GetFunction((onePassValues ? "preprocess_quantize_kv_onepass_" : "preprocess_quantize_kv_") + kernels);
                // The K tiles, then the V tiles or, in one pass, one CTA per (head, 8 channels).
                int codeCtas = g.CodeBlocks(onePassValues);
                codes.Launch(new Dim3((uint)codeCtas), Threads, 0, stream, codesDependent, codeArguments);
            }

            var queries = quantizeQueries ? new QuantizedQueries(qValues!, qScales!, qMeans, padQ, qGroups) : null;
            var keys = new QuantizedKeys(kValues, kScales, kMean, kSmoothed, padK, g.TilesPerHead);
            var values = new QuantizedValues(vCodes, vScales, vMean, padK);
            lseDot = LseDots(problem, options, q, kMean, stream);
            var deltaS = options.SmoothQ ? ScoreCorrection(problem, queries!, keys, stream) : null;
            return new PreprocessedInputs(queries, keys, values, deltaS, lseDot, storage: arena);
        }
        catch
        {
            lseDot?.Dispose();
            arena.Dispose();
            throw;
        }
    }

    /// <summary>
    /// §10's SmoothK correction for problems that return the LSE: Σ_c Q[i,c]·mean_c per query row in binary64 (c in
    /// order; preprocess_lse_dot, one thread per row), [B, Hq, Nq]. Null without ReturnLse or SmoothK, or without rows.
    /// </summary>
    private DeviceBuffer<double>? LseDots(AttentionProblem problem, SageOptions options, DeviceTensor q, DeviceBuffer<float> keyMean, CudaStream? stream)
    {
        var s = problem.Shape;
        long rows = (long)s.Batch * s.QueryHeads * s.QueryLength;
        if (!problem.ReturnLse || !options.SmoothK || rows == 0) return null;
        var strides = Strides(problem.Layout, s.QueryHeads, s.QueryLength, s.HeadDim);
        var dots = DeviceBuffer<double>.AllocateStreamOrdered(_context, rows, stream);
        try
        {
            _fused.GetFunction($"preprocess_lse_dot_{Suffix(q.ElementType)}_d{s.HeadDim}").Launch(
                new Dim3((uint)((rows + Threads - 1) / Threads)), Threads, 0, stream,
                KernelArgument.DevicePointer(q.Pointer), strides.Batch, strides.Head, strides.Token, s.QueryLength, s.QueryHeads,
                s.QueryHeads / s.KeyValueHeads, keyMean, dots, rows);
            return dots;
        }
        catch
        {
            dots.Dispose();
            throw;
        }
    }

    /// <summary>
    /// QSmoothing step 3 (§2): ΔS = (mean(Q_blk)·K̃ᵀ) ⊗ LOG2E_SCALE, [B, Hq, PaddedLength(Q)/64, PaddedLength(K)], from the
    /// block means of <paramref name="queries"/> and the fp32 K̃ of <paramref name="keys"/> (both made with SmoothQ).
    /// </summary>
    public DeviceBuffer<float> ScoreCorrection(AttentionProblem problem, QuantizedQueries queries, QuantizedKeys keys, CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(keys);
        var s = problem.Shape;
        if (queries.Means is null) throw new ArgumentException("The queries were quantised without SmoothQ: no block means.", nameof(queries));
        if (keys.Smoothed is null && s.KeyLength > 0) throw new ArgumentException("The keys were quantised without SmoothQ: no fp32 K̃.", nameof(keys));
        int blocks = queries.PaddedLength / PreprocessLayout.QueryBlockRows;
        long bhq = (long)s.Batch * s.QueryHeads;
        var deltaS = DeviceBuffer<float>.AllocateStreamOrdered(_context, bhq * blocks * keys.PaddedLength, stream);
        try
        {
            if (keys.Tiles > 0 && blocks > 0)
            {
                float log2eScale = Log2EScale(problem);
                _scoreCorrection.GetFunction($"score_correction_d{s.HeadDim}").Launch(
                    new Dim3((uint)keys.Tiles, (uint)s.QueryHeads, (uint)s.Batch), PreprocessLayout.KeyTileTokens, 0, stream,
                    keys.Smoothed!, queries.Means, s.QueryLength, s.KeyLength, s.QueryHeads, s.KeyValueHeads, blocks,
                    keys.PaddedLength, log2eScale, deltaS);
            }
            return deltaS;
        }
        catch
        {
            deltaS.Dispose();
            throw;
        }
    }

    /// <summary>KSmoothing (§1) and K quantisation (§3). With SmoothQ, also keeps K̃ in fp32 for ΔS.</summary>
    public QuantizedKeys QuantizeKeys(AttentionProblem problem, SageOptions options, DeviceTensor k, CudaStream? stream = null)
    {
        Check(problem, options);
        var s = problem.Shape;
        CheckTensor(k, s.KeyValueShape(problem.Layout), nameof(k));
        int n = s.KeyLength, d = s.HeadDim, heads = s.KeyValueHeads;
        int tiles = PreprocessLayout.KeyTiles(n), padded = PreprocessLayout.PaddedKeyLength(n);
        int groups = PreprocessLayout.KeyGroupsPerTile(options.Granularity);
        long bh = (long)s.Batch * heads;
        var strides = Strides(problem.Layout, heads, n, d);
        string suffix = Suffix(k.ElementType);

        var mean = DeviceBuffer<float>.AllocateStreamOrdered(_context, bh * d, stream);
        DeviceBuffer<sbyte>? values = null;
        DeviceBuffer<float>? scales = null, smoothed = null;
        try
        {
            values = DeviceBuffer<sbyte>.AllocateStreamOrdered(_context, bh * padded * PreprocessLayout.QuantizedRowBytes(options.QkFormat, d), stream);
            scales = DeviceBuffer<float>.AllocateStreamOrdered(_context, bh * tiles * groups, stream);
            if (options.SmoothQ) smoothed = DeviceBuffer<float>.AllocateStreamOrdered(_context, bh * n * d, stream);
            mean.EnqueueFill(0, stream); // mean = 0 without SmoothK (and for N = 0)
            if (tiles > 0)
            {
                var grid = new Dim3((uint)tiles, (uint)heads, (uint)s.Batch);
                if (options.SmoothK) // every token, or the strided sample's trimmed mean (§1)
                {
                    var sample = KeyMeanSample.Of(n, options.KeyMeanTokens);
                    if (sample.IsEveryToken(n)) ChannelMean(k, strides, suffix, n, d, heads, s.Batch, tiles, mean, stream);
                    else TrimmedSampleMean(k, strides, sample, suffix, d, heads, s.Batch, mean, stream);
                }
                _qkQuantize.GetFunction("key_quantize_" + suffix).Launch(grid, Threads, 0, stream,
                    KernelArgument.DevicePointer(k.Pointer), strides.Batch, strides.Head, strides.Token, n, d, heads,
                    options.SmoothK ? (KernelArgument)mean : KernelArgument.DevicePointer(0),
                    (int)options.Granularity, options.QkFormat == QkFormat.Int4 ? 1 : 0, scales, values, padded,
                    smoothed is null ? KernelArgument.DevicePointer(0) : (KernelArgument)smoothed);
            }
            return new QuantizedKeys(values, scales, mean, smoothed, padded, tiles);
        }
        catch
        {
            mean.Dispose();
            values?.Dispose();
            scales?.Dispose();
            smoothed?.Dispose();
            throw;
        }
    }

    /// <summary>QSmoothing (§2, means and Q − mean; ΔS is left to the main loop) and Q quantisation (§3).</summary>
    public QuantizedQueries QuantizeQueries(AttentionProblem problem, SageOptions options, DeviceTensor q, CudaStream? stream = null)
    {
        Check(problem, options);
        var s = problem.Shape;
        CheckTensor(q, s.QueryShape(problem.Layout), nameof(q));
        int n = s.QueryLength, d = s.HeadDim, heads = s.QueryHeads;
        int padded = PreprocessLayout.PaddedQueryLength(n);
        int groupCount = PreprocessLayout.QueryGroups(options.Granularity, n);
        long bh = (long)s.Batch * heads;
        var strides = Strides(problem.Layout, heads, n, d);
        float log2eScale = Log2EScale(problem); // LOG2E_SCALE: formed in float64, rounded once

        var values = DeviceBuffer<sbyte>.AllocateStreamOrdered(_context, bh * padded * PreprocessLayout.QuantizedRowBytes(options.QkFormat, d), stream);
        DeviceBuffer<float>? scales = null, means = null;
        try
        {
            scales = DeviceBuffer<float>.AllocateStreamOrdered(_context, bh * groupCount, stream);
            if (options.SmoothQ) means = DeviceBuffer<float>.AllocateStreamOrdered(_context, bh * PreprocessLayout.QueryBlocks(n) * d, stream);
            if (padded > 0)
            {
                var grid = new Dim3((uint)(padded / PreprocessLayout.QueryBlockRows), (uint)heads, (uint)s.Batch);
                _qkQuantize.GetFunction("query_quantize_" + Suffix(q.ElementType)).Launch(grid, Threads, 0, stream,
                    KernelArgument.DevicePointer(q.Pointer), strides.Batch, strides.Head, strides.Token, n, d, heads,
                    options.SmoothQ ? 1 : 0, (int)options.Granularity, options.QkFormat == QkFormat.Int4 ? 1 : 0, log2eScale,
                    scales, groupCount, values, padded, means is null ? KernelArgument.DevicePointer(0) : (KernelArgument)means);
            }
            return new QuantizedQueries(values, scales, means, padded, groupCount);
        }
        catch
        {
            values.Dispose();
            scales?.Dispose();
            means?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// VSmoothing (§4, with SmoothV: channel means in the order of §1, then every pass reads V ⊖ mean) and VQuantization
    /// with V_MAX = <see cref="SageOptions.VScaleMax"/> (1.125 for Fp16TwoLevel, else 448).
    /// </summary>
    public QuantizedValues QuantizeValues(AttentionProblem problem, SageOptions options, DeviceTensor v, CudaStream? stream = null)
    {
        Check(problem, options);
        var s = problem.Shape;
        CheckTensor(v, s.KeyValueShape(problem.Layout), nameof(v));
        int n = s.KeyLength, d = s.HeadDim, heads = s.KeyValueHeads;
        int tiles = PreprocessLayout.KeyTiles(n), padded = PreprocessLayout.PaddedKeyLength(n);
        long bh = (long)s.Batch * heads;
        var strides = Strides(problem.Layout, heads, n, d);
        string suffix = Suffix(v.ElementType);

        var codes = DeviceBuffer<byte>.AllocateStreamOrdered(_context, bh * d * padded, stream);
        DeviceBuffer<float>? scales = null, mean = null;
        try
        {
            scales = DeviceBuffer<float>.AllocateStreamOrdered(_context, bh * d, stream);
            if (options.SmoothV)
            {
                mean = DeviceBuffer<float>.AllocateStreamOrdered(_context, bh * d, stream);
                mean.EnqueueFill(0, stream); // N = 0: nothing to average (no row can see a key, so it is never added)
            }
            if (tiles == 0)
            {
                scales.EnqueueFill(0, stream); // no token: amax = 0, v_scale = 0
                return new QuantizedValues(codes, scales, mean, padded);
            }
            var grid = new Dim3((uint)tiles, (uint)heads, (uint)s.Batch);
            if (mean is not null) ChannelMean(v, strides, suffix, n, d, heads, s.Batch, tiles, mean, stream);
            var meanArgument = mean is null ? KernelArgument.DevicePointer(0) : (KernelArgument)mean;
            using var amax = DeviceBuffer<uint>.AllocateStreamOrdered(_context, bh * d, stream); // per-call scratch
            amax.EnqueueFill(0, stream);
            _vQuantize.GetFunction("value_amax_" + suffix).Launch(grid, (uint)d, 0, stream,
                KernelArgument.DevicePointer(v.Pointer), strides.Batch, strides.Head, strides.Token, n, d, heads, meanArgument, amax);
            _vQuantize.GetFunction("value_quantize_" + suffix).Launch(grid, Threads, 0, stream,
                KernelArgument.DevicePointer(v.Pointer), strides.Batch, strides.Head, strides.Token, n, d, heads, meanArgument, amax,
                (float)options.VScaleMax, scales, codes, padded);
            return new QuantizedValues(codes, scales, mean, padded);
        }
        catch
        {
            codes.Dispose();
            scales?.Dispose();
            mean?.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _keySmoothing.Dispose();
        _qkQuantize.Dispose();
        _vQuantize.Dispose();
        _scoreCorrection.Dispose();
        _fused.Dispose();
    }

    /// <summary>
    /// SmoothK's trimmed mean of <paramref name="sample"/>'s tokens of K (§1, "Strided sample, trimmed";
    /// <paramref name="strides"/> are K's own): key_trimmed_sample_mean, 8 lanes per channel, 32 channels per CTA.
    /// </summary>
    private void TrimmedSampleMean(DeviceTensor k, TensorStrides strides, KeyMeanSample sample, string suffix, int d, int heads, int batch,
        DeviceBuffer<float> mean, CudaStream? stream)
    {
        if (sample.Count != KeyMeanSample.MaxTokens)
            throw new ArgumentException($"a trimmed sample has {KeyMeanSample.MaxTokens} tokens, got {sample.Count}", nameof(sample));
        _keySmoothing.GetFunction("key_trimmed_sample_mean_" + suffix).Launch(
            new Dim3((uint)((d + TrimChannelsPerCta - 1) / TrimChannelsPerCta), (uint)heads, (uint)batch), 8 * TrimChannelsPerCta, 0, stream,
            KernelArgument.DevicePointer(k.Pointer), strides.Batch, strides.Head, strides.Token * sample.Step, d, heads, mean);
    }

    /// <summary>Channels per CTA of key_trimmed_sample_mean (SAGE_TRIM_CHANNELS_PER_CTA of key_smoothing.cu).</summary>
    private const int TrimChannelsPerCta = 32;

    /// <summary>
    /// The per-channel mean of §1 (K) or §4 (V, the same order): chunk sums of 128 tokens, then the chunks in order,
    /// ⊘ N. The chunk sums are per-call scratch, released in stream order.
    /// </summary>
    private void ChannelMean(DeviceTensor x, TensorStrides strides, string suffix, int n, int d, int heads, int batch, int tiles,
        DeviceBuffer<float> mean, CudaStream? stream)
    {
        long bh = (long)batch * heads;
        using var partial = DeviceBuffer<float>.AllocateStreamOrdered(_context, bh * tiles * d, stream);
        _keySmoothing.GetFunction("key_chunk_sums_" + suffix).Launch(new Dim3((uint)tiles, (uint)heads, (uint)batch), (uint)d, 0, stream,
            KernelArgument.DevicePointer(x.Pointer), strides.Batch, strides.Head, strides.Token, n, d, heads, partial);
        _keySmoothing.GetFunction("key_mean").Launch(new Dim3((uint)bh), (uint)d, 0, stream, partial, tiles, n, d, mean);
    }

    private static KernelSource Source(string file) =>
        KernelSource.FromEmbedded(typeof(GpuPreprocessor).Assembly, "Sage.Cuda.Kernels.Preprocess." + file);

    private static void Check(AttentionProblem problem, SageOptions options)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(problem); // d ∈ {64, 128}: the kernels' 8-channel vectors and 128-entry shared arrays rely on it
    }

    internal static void CheckTensor(DeviceTensor tensor, int[] shape, string name)
    {
        long expected = 1;
        foreach (int dim in shape) expected *= dim;
        if (tensor.Count != expected)
            throw new ArgumentException(
                $"Device tensor {name} holds {tensor.Count} elements; shape [{string.Join(", ", shape)}] needs {expected}.", name);
        if (tensor.Pointer == 0 && expected > 0)
            throw new ArgumentException($"Device tensor {name} has a null pointer.", name);
        if (tensor.Pointer % 16 != 0)
            throw new ArgumentException($"Device tensor {name} at 0x{tensor.Pointer:x} is not 16-byte aligned; the kernels read 16-byte vectors.", name);
    }

    private static string Suffix(ElementType type) => type switch
    {
        ElementType.Float32 => "f32",
        ElementType.Float16 => "f16",
        ElementType.BFloat16 => "bf16",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown element type."),
    };

    private readonly record struct TensorStrides(long Batch, long Head, long Token);

    /// <summary>Element strides of batch, head and token; channels are contiguous in both layouts.</summary>
    private static TensorStrides Strides(TensorLayout layout, int heads, int tokens, int headDim) => layout == TensorLayout.HND
        ? new TensorStrides((long)heads * tokens * headDim, (long)tokens * headDim, headDim)
        : new TensorStrides((long)tokens * heads * headDim, headDim, (long)heads * headDim);

    private sealed class UploadedTensor(DeviceTensor tensor, IDisposable buffer) : IDisposable
    {
        public DeviceTensor Tensor { get; } = tensor;
        public void Dispose() => buffer.Dispose();
    }

    private UploadedTensor Upload(HostTensor t)
    {
        if (t.ElementType == ElementType.Float32)
        {
            var buffer = DeviceBuffer<float>.Upload(_context, t.Single);
            return new UploadedTensor(DeviceTensor.From(buffer), buffer);
        }
        var bits = DeviceBuffer<ushort>.Upload(_context, t.Bits16);
        return new UploadedTensor(DeviceTensor.From(bits, t.ElementType), bits);
    }
}
