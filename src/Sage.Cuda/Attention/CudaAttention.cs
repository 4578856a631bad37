using Sage.Cuda.Interop;
using Sage.Cuda.Preprocessing;

namespace Sage.Cuda;

/// <summary>
/// The SageAttention forward pass on the GPU (docs/kernel-spec.md): <see cref="GpuPreprocessor"/> (K/Q/V smoothing, INT8
/// quantisation of Q and K, ΔS, FP8 quantisation of V) followed by the attention main loop
/// (Kernels/Attention/attention_solo.cu on attention_solo.cuh: one warpgroup per CTA, or from N = 16K at d = 128 three
/// warpgroups sharing one K/V ring, with TMA loads; INT8 QKᵀ and
/// FP8 PV on wgmma with the row sum as an extra PV column, online softmax with the kernel exp2),
/// meant to agree bit for bit with <c>Sage.Emulation.EmulatedAttention</c> (tests/Gpu/Attention).
/// Supported: INT8 QK at every granularity, SmoothK, SmoothQ and SmoothV on or off, every PV accumulation mode, head dim
/// 64 and 128, causal or not, GQA, any lengths, FP16/BF16/FP32 inputs and outputs, HND/NHD, optional LSE.
/// Not supported: INT4 QK (<see cref="NotSupportedException"/>, see <see cref="Int4Unsupported"/>).
/// <para>Streams: the device-level <see cref="Run(AttentionProblem, SageOptions?, DeviceTensor, DeviceTensor, DeviceTensor, DeviceTensor, ulong, CudaStream?)"/>
/// queues everything on the caller's stream (pre-processing, main loop, and the stream-ordered allocation and release of
/// the intermediate buffers) and returns without waiting; nothing in it synchronises the device. The host-level
/// <see cref="Run(AttentionProblem, HostTensor, HostTensor, HostTensor, SageOptions?)"/> uses a stream of its own per call
/// and waits for that stream only.</para>
/// <para>Thread safety: one instance may serve concurrent calls from any number of threads. Every driver call binds this
/// instance's context to the calling thread first; kernels are looked up under a lock and configured once; each call
/// allocates its own intermediate buffers (stream-ordered) and, on the host path, its own stream; a replayed call
/// (<see cref="GraphReplay"/>) uses its graph's workspace, and replays, captures and the graphs' bookkeeping share one
/// lock.</para>
/// </summary>
public sealed partial class CudaAttention : IAttentionBackend, IDisposable
{
    private const uint SoloThreads = 128; // one warpgroup per CTA (attention_solo.cuh)
    private const int SoloBlockRows = 64;

    /// <summary>
    /// Why INT4 QK is refused on Hopper (sm_90a): the finding of the INT4 tensor-core probe on the H100
    /// (docs/tensor-core-numerics.md, "INT4 on sm_90a").
    /// </summary>
    public const string Int4Unsupported =
        "QkFormat.Int4: Hopper (sm_90a) has no INT4 tensor-core path. wgmma has no s4 form, and ptxas (CUDA 13.0) lowers " +
        "mma.sync.aligned.m16n8k64.row.col.s32.s4.s4.s32 to an emulation: about 190 integer instructions (LOP3, SHF, IMAD) " +
        "that unpack the nibbles to bytes, then two INT8 IMMA.16832.S8.S8, where one m16n8k32 s8 mma.sync is a single IMMA " +
        "(SASS probe on the H100, docs/tensor-core-numerics.md \"INT4 on sm_90a\"). INT4 would run the INT8 tensor-core work " +
        "plus the unpacking, so it cannot beat the INT8 wgmma path it exists to beat. Use QkFormat.Int8 on the GPU; the " +
        "emulator still models INT4 for accuracy studies (sage plan --target emulator).";

    private readonly CudaContext _context;
    private readonly bool _ownsContext;
    private readonly GpuPreprocessor _preprocessor;
    // Each main-loop kernel, compiled (or read from the kernel cache) alone the first time a call launches it.
    private readonly MainLoopKernels _mainLoop;

    /// <summary>Uses device 0 with a context of its own.</summary>
    public CudaAttention() : this(0) { }

    /// <summary>
    /// Uses device <paramref name="deviceOrdinal"/> (its primary context, retained for the life of this instance).
    /// Throws <see cref="CudaUnavailableException"/> without a driver or device, <see cref="ArgumentOutOfRangeException"/>
    /// for an ordinal past the last device.
    /// </summary>
    public CudaAttention(int deviceOrdinal) : this(CudaContext.Create(deviceOrdinal), ownsContext: true, compiler: null) { }

    /// <summary>Uses <paramref name="context"/> (not disposed with this instance).</summary>
    public CudaAttention(CudaContext context, KernelCompiler? compiler = null) : this(context, ownsContext: false, compiler) { }

    private CudaAttention(CudaContext context, bool ownsContext, KernelCompiler? compiler)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
        _ownsContext = ownsContext;
        compiler ??= new KernelCompiler();
        try
        {
            _preprocessor = new GpuPreprocessor(context, compiler);
        }
        catch
        {
            if (ownsContext) context.Dispose();
            throw;
        }
        try
        {
            // SAGE_KERNEL_DEFINES: schedule macros for probing variants of the main loop (KernelDefines); none by default.
            _mainLoop = new MainLoopKernels(context, compiler, KernelDefines.FromEnvironment());
        }
        catch
        {
            _preprocessor.Dispose();
            if (ownsContext) context.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Resource name of the main loop (Kernels/Attention/attention_solo.cu on attention_solo.cuh): one-warpgroup CTAs,
    /// one per 64-row query block, three per SM at d = 128 and four at d = 64, and the shared CTAs of three warpgroups
    /// at d = 128 (<see cref="UsesSharedCta"/>).
    /// </summary>
    public const string KernelResource = "Sage.Cuda.Kernels.Attention.attention_solo.cu";

    /// <summary>
    /// Resource name of the same kernels under <see cref="PEncoding.LogLinear"/> (attention_solo_loglinear.cu: the P codes
    /// read off their arguments instead of MUFU.EX2 and a conversion; docs/kernel-spec.md §7.5, §7.8). Same kernel names.
    /// A call compiles only the kernel it launches, from either program (<see cref="MainLoopKernels"/>).
    /// </summary>
    public const string LogLinearKernelResource = "Sage.Cuda.Kernels.Attention.attention_solo_loglinear.cu";

    /// <summary>The kernel resource that runs <paramref name="encoding"/>.</summary>
    public static string KernelResourceFor(PEncoding encoding) => encoding switch
    {
        PEncoding.Exp2 => KernelResource,
        PEncoding.LogLinear => LogLinearKernelResource,
        _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "Unknown P encoding."),
    };

    /// <summary>K/V stages of the main loop at head dim <paramref name="headDim"/> (SAGE_SOLO_STAGES of attention_solo.cu).</summary>
    private static int SoloStages(int headDim) => headDim == 128 ? 2 : 3;

    /// <summary>Warpgroups (64-row blocks) of the shared CTA (SAGE_SHARE_WGS of attention_solo.cuh).</summary>
    private const int ShareWarpgroups = 3;

    /// <summary>K/V stages of the shared CTA, which exists at head dim 128 only (SAGE_SHARE_STAGES of attention_solo.cuh).</summary>
    private const int ShareStages = 6;

    /// <summary>
    /// Environment variable choosing the main loop's CTA at head dim 128 with pre-processed Q: unset or "auto"
    /// (<see cref="UsesSharedCta"/>: where the shared CTA was faster on the H100), "share" or "solo" (for A/B runs). Both
    /// give the same bits.
    /// </summary>
    public const string MainLoopEnvironmentVariable = "SAGE_MAIN_LOOP";

    /// <summary>The CTA choice of this instance (from <see cref="MainLoopEnvironmentVariable"/>; tests set it).</summary>
    internal MainLoopCta MainLoopCtaChoice { get; set; } = MainLoopCtaSelected(Environment.GetEnvironmentVariable(MainLoopEnvironmentVariable));

    /// <summary>Sequence length (queries and keys) from which "auto" takes the shared CTA.</summary>
    internal const int SharedCtaMinimumLength = 16384;

    internal enum MainLoopCta { Auto, Share, Solo }

    internal static MainLoopCta MainLoopCtaSelected(string? value) => ScheduleSwitch.Select(MainLoopEnvironmentVariable, value,
        ("auto", MainLoopCta.Auto), ("share", MainLoopCta.Share), ("solo", MainLoopCta.Solo));

    /// <summary>
    /// True when the main loop runs the shared CTA (three warpgroups, three 64-row blocks of one head, on one ring of
    /// K/V stages: each K/V tile crosses from L2 into the SM once per three blocks instead of once per block). Only at
    /// head dim 128; Q comes from the pre-processing or from each warpgroup's own prologue (the *_mlq_share kernels).
    /// "auto" takes it in every PV mode with at least <see cref="SharedCtaMinimumLength"/> queries and keys. H100,
    /// same calls (docs/results/gpu-run-session15-2026-11-26.md): the L2 -> SM copies it saves buy clock under the 700 W
    /// cap (FP16 two-level 16K +2.5-4 % kernel-only, +3-5 % end to end, 32K +3.5-5 %; FP32 two-level 16K +1.6 %), but one
    /// CTA per SM cannot hide its own prologue and epilogue behind other CTAs (2K −15 %, 4K −12 %, 8K −3 %). FP32
    /// single-level mode, measured in session 17 (docs/results/gpu-run-session17-2026-11-26.md): 16K +5 % kernel-only and
    /// +4 % end to end, 32K +6 % and +4 %, 16K causal +4 %; 8K causal −5 %, so the same threshold.
    /// </summary>
    internal static bool UsesSharedCta(MainLoopCta choice, int headDim, int queryLength, int keyLength)
    {
        if (headDim != 128) return false;
        return choice switch
        {
            MainLoopCta.Share => true,
            MainLoopCta.Solo => false,
            _ => Math.Min(queryLength, keyLength) >= SharedCtaMinimumLength,
        };
    }

    public string Name => "cuda";

    /// <summary>The context the kernels run in.</summary>
    public CudaContext Context => _context;

    /// <summary>The device the kernels run on.</summary>
    public CudaDeviceInfo Device => _context.Device;

    /// <summary>Host tensors in, host result out: uploads, runs and downloads on a stream of its own, waits for it.</summary>
    public AttentionResult Run(AttentionProblem problem, HostTensor q, HostTensor k, HostTensor v, SageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(problem);
        options ??= SageOptions.Default;
        CheckSupported(problem, options);
        problem.CheckInputs(q, k, v);
        SageInputDomain.Require(problem, q, k, v);
        var s = problem.Shape;
        int[] outShape = s.QueryShape(problem.Layout);
        long outCount = (long)s.Batch * s.QueryHeads * s.QueryLength * s.HeadDim;
        long lseCount = (long)s.Batch * s.QueryHeads * s.QueryLength;

        using var stream = CudaStream.Create(_context);
        HostTensor result;
        float[]? lseValues = null;
        {
            using var qd = DeviceInput.Upload(_context, q, stream);
            using var kd = DeviceInput.Upload(_context, k, stream);
            using var vd = DeviceInput.Upload(_context, v, stream);
            using var output = DeviceInput.Allocate(_context, options.OutputType, Math.Max(outCount, 1), stream);
            using var lse = problem.ReturnLse ? DeviceBuffer<float>.AllocateStreamOrdered(_context, Math.Max(lseCount, 1), stream) : null;

            // Never a graph: these buffers are this call's own, and its copies and wait dwarf the launches' host time.
            Run(problem, options, qd.Tensor, kd.Tensor, vd.Tensor, output.Tensor with { Count = outCount }, lse?.Pointer ?? 0, stream,
                mayReplay: false);

            result = output.Download(outShape, outCount, stream);
            if (lse is not null)
            {
                lseValues = new float[lseCount];
                lse.CopyTo(lseValues, stream);
            }
        }
        stream.Synchronize(); // the stream-ordered releases above are queued on it: let them finish before it is destroyed
        return new AttentionResult(result, lseValues);
    }

    /// <summary>
    /// Device-level entry that waits: as <see cref="Run(AttentionProblem, SageOptions?, DeviceTensor, DeviceTensor, DeviceTensor, DeviceTensor, ulong, CudaStream?)"/>
    /// on the legacy default stream, then waits for that stream (documented synchronisation: the legacy default stream
    /// also waits for blocking streams of this context).
    /// </summary>
    public void Run(AttentionProblem problem, SageOptions? options, DeviceTensor q, DeviceTensor k, DeviceTensor v,
        DeviceTensor output, ulong lsePointer)
    {
        Run(problem, options, q, k, v, output, lsePointer, stream: null);
        using var legacy = CudaStream.FromHandle(_context, 0);
        legacy.Synchronize();
    }

    /// <summary>
    /// Device-level entry: Q, K, V, the output ([B, Hq, Nq, d] or [B, Nq, Hq, d] as the problem's layout says, element
    /// type <see cref="SageOptions.OutputType"/>) and the optional LSE ([B, Hq, Nq] fp32; pass 0 without
    /// <see cref="AttentionProblem.ReturnLse"/>) live in device memory of this context that the caller owns (any
    /// allocator: another framework's tensors work without copies). Everything is queued on <paramref name="stream"/>
    /// (the caller's CUstream through <see cref="CudaStream.FromHandle"/>; null: the legacy default stream) and the
    /// method returns without waiting: the inputs must stay alive and unchanged, and the output is ready, once work
    /// queued on the stream after this call may run. Intermediate buffers are allocated and released in stream order.
    /// A call that repeats a recent one (the same problem, options, tensors and LSE buffer) replays a graph of it
    /// (<see cref="GraphReplay"/>): the same launches for one driver call.
    /// Shapes and options are checked before anything is queued; the inputs' values are not scanned (the caller owns
    /// the input domain, docs/kernel-spec.md §0).
    /// </summary>
    public void Run(AttentionProblem problem, SageOptions? options, DeviceTensor q, DeviceTensor k, DeviceTensor v,
        DeviceTensor output, ulong lsePointer, CudaStream? stream) =>
        Run(problem, options, q, k, v, output, lsePointer, stream, mayReplay: true);

    private void Run(AttentionProblem problem, SageOptions? options, DeviceTensor q, DeviceTensor k, DeviceTensor v,
        DeviceTensor output, ulong lsePointer, CudaStream? stream, bool mayReplay)
    {
        ArgumentNullException.ThrowIfNull(problem);
        options ??= SageOptions.Default;
        CheckSupported(problem, options);
        if (stream is not null && !ReferenceEquals(stream.Context, _context) && stream.Context.Device.Ordinal != _context.Device.Ordinal)
            throw new ArgumentException(
                $"The stream belongs to device {stream.Context.Device.Ordinal}; this CudaAttention runs on device {_context.Device.Ordinal}.", nameof(stream));
        var s = problem.Shape;
        long outCount = (long)s.Batch * s.QueryHeads * s.QueryLength * s.HeadDim;
        if (output.ElementType != options.OutputType)
            throw new ArgumentException($"Output tensor holds {output.ElementType}; the options ask for {options.OutputType}.", nameof(output));
        if (output.Count != outCount)
            throw new ArgumentException($"Output tensor holds {output.Count} elements; {s} needs {outCount}.", nameof(output));
        if (output.Pointer == 0 && outCount > 0)
            throw new ArgumentException("Output tensor has a null pointer.", nameof(output));
        if (problem.ReturnLse && lsePointer == 0 && s.QueryLength > 0)
            throw new ArgumentException("The problem asks for the LSE (ReturnLse) but no LSE buffer was given.", nameof(lsePointer));
        if (!problem.ReturnLse) lsePointer = 0;

        if (mayReplay && GraphReplay && s.QueryLength > 0 &&
            Replayed(new AttentionCallKey(problem, options, q, k, v, output, lsePointer, MainLoopCtaChoice, _preprocessor.Schedules), stream))
            return;
        Enqueue(problem, options, q, k, v, output, lsePointer, stream);
    }

    /// <summary>The call's launches, queued on <paramref name="stream"/> (or recorded, when it is being captured).</summary>
    private void Enqueue(AttentionProblem problem, SageOptions options, DeviceTensor q, DeviceTensor k, DeviceTensor v,
        DeviceTensor output, ulong lsePointer, CudaStream? stream)
    {
        using var inputs = _preprocessor.Preprocess(problem, options, q, k, v, stream, quantizeQueries: !QuantizesQueriesInMainLoop(problem, options));
        if (problem.Shape.QueryLength > 0) LaunchMainLoop(problem, options, inputs, q, output, lsePointer, stream);
        // Disposing the inputs queues their release on the stream, after the main loop: no wait here.
    }

    /// <summary>
    /// The main loop's grid: (CTAs per head, Hq, B), where a CTA is one 64-row block (solo) or <see cref="ShareWarpgroups"/>
    /// consecutive blocks (shared). Causal grids are one-dimensional in the same order (head-major, CTA fastest); the
    /// kernel starts each head's CTAs with the most K tiles first (attention_solo.cuh says why this order and this form).
    /// </summary>
    internal static Dim3 MainLoopGrid(AttentionShape s, bool causal, bool shared)
    {
        int blocks = (s.QueryLength + SoloBlockRows - 1) / SoloBlockRows;
        long ctas = shared ? (blocks + ShareWarpgroups - 1) / ShareWarpgroups : blocks;
        if (!causal) return new Dim3((uint)ctas, (uint)s.QueryHeads, (uint)s.Batch);
        long total = ctas * s.QueryHeads * s.Batch;
        if (total > int.MaxValue)
            throw new NotSupportedException($"{s}: {total} causal main-loop CTAs; the one-dimensional causal grid holds at most {int.MaxValue}.");
        return new Dim3((uint)total);
    }

    /// <summary>
    /// Environment variable choosing where <see cref="Run(AttentionProblem, SageOptions?, DeviceTensor, DeviceTensor, DeviceTensor, DeviceTensor, ulong, CudaStream?)"/>
    /// quantises Q without SmoothQ: unset or "auto" (<see cref="QuantizesQueriesInMainLoop"/>: where that was faster end to
    /// end on the H100), "main-loop" or "preprocess" (for A/B runs). Every choice gives the same bits.
    /// </summary>
    public const string QueryQuantizationEnvironmentVariable = "SAGE_QUERY_QUANTIZATION";

    private readonly QueryQuantizationPlace _queryQuantization =
        QueryQuantizationSelected(Environment.GetEnvironmentVariable(QueryQuantizationEnvironmentVariable));

    internal enum QueryQuantizationPlace { Auto, MainLoop, Preprocess }

    internal static QueryQuantizationPlace QueryQuantizationSelected(string? value) => ScheduleSwitch.Select(QueryQuantizationEnvironmentVariable,
        value, ("auto", QueryQuantizationPlace.Auto), ("main-loop", QueryQuantizationPlace.MainLoop), ("preprocess", QueryQuantizationPlace.Preprocess));

    /// <summary>
    /// True when the device-level Run leaves Q to the main loop: every CTA quantises its 64-row Q block in its prologue
    /// (§3 arithmetic, the same bits; the *_mlq kernels) and the pre-processing neither reads Q nor writes its codes.
    /// Never with SmoothQ (ΔS needs the pre-processing's block means) or SmoothV (the smooth kernels have no such prologue).
    /// By default (<see cref="QueryQuantizationEnvironmentVariable"/> unset) until session 47 at head dim 64 only: the prologue costs each
    /// CTA about 1,000 warp instructions and a wait for its 16-bit Q, and what it saves is the pre-processing's Q pass.
    /// H100, end to end against the pre-processed Q (docs/results/gpu-run-session6-2026-11-26.md): d = 64 +0.7-6 % at
    /// 2K-16K (32K within ±2.5 %); d = 128 −4 % at 16K-32K and −2 % at 2K. At d = 128 from 16K the shared CTA runs the
    /// prologue in each warpgroup (the *_mlq_share kernels, session 18): the pre-processing fell from 1.34 to 1.03 ms
    /// but the kernel lost 3 % (one CTA per SM hides no prologue), −1.3 % end to end
    /// (docs/results/gpu-run-session18-2026-11-26.md), so d = 128 keeps the pre-processed Q. Timed again in session 30
    /// (docs/results/gpu-run-session30-2026-11-27.md) with V in one pass: the pre-processing 20 % shorter but the kernel
    /// 11-24 % longer, end to end −1.8 % (2K) and −5.2 % (2K causal), −0.3 % and −3.1 % at 4K; with the prologue compiled
    /// for FP16 inputs only the causal kernel was no faster (probes/session30-mlq-f16-only.patch). In session 37, with a
    /// refused code redoing only its 8-element chunk, within ±2 % at 2K d = 128 and not better causal
    /// (docs/results/gpu-run-session37-2026-11-27.md). Since session 48, with the ring's Q items, the default follows the
    /// key count instead (<see cref="MainLoopQueriesByDefault"/>).
    /// </summary>
    public bool QuantizesQueriesInMainLoop(AttentionProblem problem, SageOptions options)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(options);
        if (options.SmoothQ || options.SmoothV) return false; // the *_smooth kernels read the pre-processed Q
        return _queryQuantization switch
        {
            QueryQuantizationPlace.MainLoop => true,
            QueryQuantizationPlace.Preprocess => false,
            _ => MainLoopQueriesByDefault(problem.Shape,
                UsesSharedCta(MainLoopCtaChoice, problem.Shape.HeadDim, problem.Shape.QueryLength, problem.Shape.KeyLength)),
        };
    }

    /// <summary>
    /// Keys up to which the default leaves Q to the pre-processing. With few K tiles per CTA the prologue's quantisation
    /// (about 1,000 warp instructions and a wait for the 16-bit Q block) is a large share of each CTA, while the codes
    /// ring quantises Q at close to the streaming rate (its Q items since session 42). H100, B = 4, H = 32, e2e gain of
    /// the main loop's Q over the pre-processed Q, session 48 (docs/results/gpu-run-session48-2026-11-28.md), per call and
    /// on the GPU alone, causal or not:
    /// d = 64: 2K −0.5 to −2.9 % (seven readings), 3K level (−0.6 to +0.4 %), 4K +0.5 to +2.7 %, 8K 0 to +1.4 %, 16K-32K
    /// level (−1.3 to +0.3 %); d = 128 (solo CTA): 2K −0.6 to −1.5 % (four readings; session 47 read +1.4 % once on the
    /// GPU alone), 4K +0.7 to +2.4 % (seven readings), 8K level within its spread (−1.1 to +2.3 %; one two-round reading
    /// of +8.0 % causal did not repeat).
    /// </summary>
    internal const int MainLoopQueriesAboveKeys = 2048;

    /// <summary>
    /// The default placement (<see cref="QueryQuantizationEnvironmentVariable"/> unset or "auto"), SmoothQ and SmoothV
    /// aside: the main loop quantises Q above <see cref="MainLoopQueriesAboveKeys"/> keys, at d = 128 only in the solo CTA
    /// (the shared CTA, one per SM, hides no prologue behind other CTAs: −1.3 % end to end at 16K, session 18).
    /// </summary>
    internal static bool MainLoopQueriesByDefault(AttentionShape shape, bool sharedCta) =>
        shape.KeyLength > MainLoopQueriesAboveKeys && (shape.HeadDim == 64 || !sharedCta);

    /// <summary>
    /// The main loop alone, on pre-processed inputs (<see cref="GpuPreprocessor.Preprocess(AttentionProblem, SageOptions, DeviceTensor, DeviceTensor, DeviceTensor, CudaStream?, bool)"/>);
    /// <paramref name="originalQueries"/> is read only for the LSE correction with SmoothK. Queues the launch on
    /// <paramref name="stream"/> (null: legacy default stream) and returns.
    /// </summary>
    public void LaunchMainLoop(AttentionProblem problem, SageOptions options, PreprocessedInputs inputs, DeviceTensor originalQueries,
        DeviceTensor output, ulong lsePointer, CudaStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(inputs);
        CheckSupported(problem, options);
        var s = problem.Shape;
        if (s.QueryLength == 0) return;
        if (options.SmoothQ && inputs.DeltaS is null)
            throw new ArgumentException("SmoothQ is on but the pre-processed inputs hold no ΔS (pre-process with the same options).", nameof(inputs));
        if (options.SmoothV && inputs.Values.Mean is null)
            throw new ArgumentException("SmoothV is on but the pre-processed inputs hold no V mean (pre-process with the same options).", nameof(inputs));
        // With SmoothK the LSE needs the per-row dot products of §10's correction, which the pre-processing forms for
        // problems with ReturnLse.
        if (lsePointer != 0 && options.SmoothK && inputs.LseDot is null)
            throw new ArgumentException(
                "An LSE buffer was given and SmoothK is on, but the pre-processed inputs hold no LSE dot products: pre-process a problem " +
                "with AttentionProblem.ReturnLse = true.", nameof(inputs));
        // No quantised Q: the *_mlq kernel quantises each block from originalQueries in its prologue (only the plain
        // kernels have that prologue, hence neither SmoothQ nor SmoothV).
        var queries = inputs.Queries;
        if (queries is null)
        {
            if (options.SmoothQ || options.SmoothV)
                throw new ArgumentException(
                    $"The pre-processed inputs hold no quantised Q; the main loop quantises Q itself only without SmoothQ and SmoothV " +
                    $"(SmoothQ = {options.SmoothQ}, SmoothV = {options.SmoothV}): pre-process with quantizeQueries = true.", nameof(inputs));
            GpuPreprocessor.CheckTensor(originalQueries, s.QueryShape(problem.Layout), nameof(originalQueries));
        }
        var qStrides = Strides(problem.Layout, s.QueryHeads, s.QueryLength, s.HeadDim);
        bool shared = UsesSharedCta(MainLoopCtaChoice, s.HeadDim, s.QueryLength, s.KeyLength);
        int sharedBytes = shared ? ShareSharedMemoryBytes(s.HeadDim) : SoloSharedMemoryBytes(s.HeadDim);
        var function = Configured(options.PEncoding,
            KernelName(s.HeadDim, options.PvAccumulation, options.SmoothQ || options.SmoothV, queriesInMainLoop: queries is null)
            + (shared ? "_share" : ""), sharedBytes);
        var grid = MainLoopGrid(s, problem.Causal, shared);
        KernelArgument Pointer(DeviceBuffer<float>? b) => KernelArgument.DevicePointer(b?.Pointer ?? 0);
        function.Launch(grid, shared ? SoloThreads * ShareWarpgroups : SoloThreads, sharedBytes, stream,
        [
            .. SoloTensorMaps(s, inputs),
            KernelArgument.DevicePointer(queries?.Values.Pointer ?? 0), Pointer(queries?.Scales), inputs.Keys.Values, inputs.Keys.Scales,
            inputs.Values.Codes, inputs.Values.Scales, KernelArgument.DevicePointer(lsePointer != 0 && options.SmoothK ? inputs.LseDot!.Pointer : 0),
            Pointer(options.SmoothQ ? inputs.DeltaS : null), Pointer(options.SmoothV ? inputs.Values.Mean : null),
            KernelArgument.DevicePointer(originalQueries.Pointer), KernelArgument.DevicePointer(output.Pointer),
            KernelArgument.DevicePointer(lsePointer),
            qStrides.Batch, qStrides.Head, qStrides.Token, qStrides.Batch, qStrides.Head, qStrides.Token,
            s.Batch, s.QueryHeads, s.KeyValueHeads, s.QueryLength, s.KeyLength,
            PreprocessLayout.PaddedQueryLength(s.QueryLength), inputs.Keys.PaddedLength, inputs.Keys.Tiles, queries?.GroupCount ?? 0,
            (int)options.Granularity, problem.Causal ? 1 : 0, options.SmoothK ? 1 : 0, options.SmoothQ ? 1 : 0, options.SmoothV ? 1 : 0,
            (int)options.OutputType, (int)originalQueries.ElementType, problem.SoftmaxScale,
            GpuPreprocessor.Log2EScale(problem),
        ]);
    }

    /// <summary>
    /// The TMA maps of the solo kernels (attention_solo.cuh), over the pre-processing's layouts as 2D byte matrices:
    /// Q [B·Hq·padQ, d] in boxes of 64 rows, K [B·Hkv·padK, d] in boxes of 128 tokens, V [B·Hkv·d, padK] in boxes of
    /// d channels × 128 tokens; rows of 128 bytes use the 128-byte swizzle, rows of 64 bytes (d = 64 Q/K) the 64-byte one.
    /// </summary>
    private KernelArgument[] SoloTensorMaps(AttentionShape s, PreprocessedInputs inputs)
    {
        uint d = (uint)s.HeadDim;
        // Without keys (Nk = 0) there are no K/V tiles to map (no buffer either); the kernel visits no tile (T = 0) and
        // never reads its K/V maps, which are passed zeroed.
        bool noKeys = inputs.Keys.PaddedLength == 0;
        var qkSwizzle = d == 128 ? CuTensorMapSwizzle.Bytes128 : CuTensorMapSwizzle.Bytes64;
        ulong padK = (ulong)inputs.Keys.PaddedLength;
        var queries = inputs.Queries; // null: the CTAs quantise Q themselves and never read the Q map
        return
        [
            queries is null ? ByteTileMap.Unused
                : new ByteTileMap(queries.Values.Pointer, d, (ulong)s.Batch * (ulong)s.QueryHeads * (ulong)queries.PaddedLength, d, d,
                    SoloBlockRows, qkSwizzle).Encode(_context),
            noKeys ? ByteTileMap.Unused
                : new ByteTileMap(inputs.Keys.Values.Pointer, d, (ulong)s.Batch * (ulong)s.KeyValueHeads * padK, d, d, 128, qkSwizzle).Encode(_context),
            noKeys ? ByteTileMap.Unused
                : new ByteTileMap(inputs.Values.Codes.Pointer, padK, (ulong)s.Batch * (ulong)s.KeyValueHeads * d, padK, 128, d,
                    CuTensorMapSwizzle.Bytes128).Encode(_context),
        ];
    }

    /// <summary>Throws <see cref="NotSupportedException"/> for the options this kernel does not run.</summary>
    public static void CheckSupported(AttentionProblem problem, SageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(problem);
        if (options.QkFormat != QkFormat.Int8) throw new NotSupportedException(Int4Unsupported);
    }

    /// <summary>True when the CUDA backend runs <paramref name="options"/> (for planners that must not offer the rest).</summary>
    public static bool Supports(SageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.QkFormat == QkFormat.Int8;
    }

    public void Dispose()
    {
        DisposeGraphs();
        _mainLoop.Dispose();
        _preprocessor.Dispose();
        if (_ownsContext) _context.Dispose();
    }

    /// <summary>The kernel <paramref name="name"/> of <paramref name="encoding"/>, prepared once for <paramref name="sharedBytes"/> (CudaFunction.ReserveSharedMemory).</summary>
    private CudaFunction Configured(PEncoding encoding, string name, int sharedBytes)
    {
        var function = _mainLoop.Function(encoding, name);
        function.ReserveSharedMemory(sharedBytes);
        return function;
    }

    /// <summary>Main-loop kernels compiled or loaded so far by this instance (each in a module of its own).</summary>
    internal int MainLoopKernelsLoaded => _mainLoop.LoadedCount;

    /// <summary>
    /// The CTA records of the last main-loop launch of <paramref name="problem"/> under <paramref name="encoding"/>
    /// (<see cref="Benchmarking.CtaTimeline"/>: the first CTAs of its grid, up to the probe's capacity), waiting for queued
    /// work first; null when the main loop was compiled without SAGE_CTA_TIMELINE (<see cref="KernelDefines"/>).
    /// </summary>
    internal ulong[]? ReadCtaTimeline(AttentionProblem problem, PEncoding encoding)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var s = problem.Shape;
        bool shared = UsesSharedCta(MainLoopCtaChoice, s.HeadDim, s.QueryLength, s.KeyLength);
        long ctas = (long)MainLoopGrid(s, problem.Causal, shared).Volume;
        // Each kernel's module has its own record: the last one launched under this encoding wrote it.
        var words = _mainLoop.LastUsed(encoding)?.ReadGlobal<ulong>("sage_cta_timeline");
        if (words is null) return null;
        long length = Math.Min(ctas * Benchmarking.CtaTimeline.WordsPerCta, words.LongLength);
        return words[..(int)length];
    }

    /// <summary>
    /// Dynamic shared memory of attention_solo.cuh: the Q block (64 rows × d bytes), <see cref="SoloStages"/> × (K tile +
    /// V tile, 2 × 128 × d bytes, + the 8 rows of E4M3 ones of the row-sum column, 1024 bytes), per stage a full barrier
    /// for K, one for V and an empty barrier, and one for Q (8 bytes each). No alignment slack: the window of a
    /// kernel without static shared memory starts 1024-aligned (the kernel traps otherwise), and with the slack three
    /// CTAs at d = 128 (four at d = 64) would not fit the H100's 228 KB per SM (1 KB of it reserved per CTA).
    /// </summary>
    internal static int SoloSharedMemoryBytes(int headDim)
    {
        int stages = SoloStages(headDim);
        return SoloBlockRows * headDim + stages * (2 * headDim * 128 + 1024) + (3 * stages + 1) * 8;
    }

    /// <summary>
    /// Dynamic shared memory of the shared CTA: three Q blocks, <see cref="ShareStages"/> × (K tile + V tile + ones rows),
    /// per stage three barriers (full K, full V, empty) and one Q barrier per warpgroup.
    /// </summary>
    internal static int ShareSharedMemoryBytes(int headDim)
    {
        if (headDim != 128)
            throw new ArgumentOutOfRangeException(nameof(headDim), headDim, "The shared CTA exists at head dim 128 only.");
        return ShareWarpgroups * SoloBlockRows * headDim + ShareStages * (2 * headDim * 128 + 1024) + (3 * ShareStages + ShareWarpgroups) * 8;
    }

    /// <summary>sage_attention_d{64,128}_{mode}[_smooth | _mlq] (attention_solo.cuh): _mlq quantises Q in the prologue.</summary>
    private static string KernelName(int headDim, PvAccumulation mode, bool smooth, bool queriesInMainLoop) => $"sage_attention_d{headDim}_" + mode switch
    {
        PvAccumulation.Fp32 => "fp32",
        PvAccumulation.Fp32TwoLevel => "fp32_two_level",
        PvAccumulation.Fp16TwoLevel => "fp16_two_level",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown PV accumulation."),
    } + (smooth ? "_smooth" : queriesInMainLoop ? "_mlq" : "");

    private readonly record struct TensorStrides(long Batch, long Head, long Token);

    /// <summary>Element strides of batch, head and token; channels are contiguous in both layouts.</summary>
    private static TensorStrides Strides(TensorLayout layout, int heads, int tokens, int headDim) => layout == TensorLayout.HND
        ? new TensorStrides((long)heads * tokens * headDim, (long)tokens * headDim, headDim)
        : new TensorStrides((long)tokens * heads * headDim, headDim, (long)heads * headDim);
}
