using Sage.Cuda.Preprocessing;

namespace Sage.Cuda;

/// <summary>
/// The SageAttention forward pass on the GPU (docs/kernel-spec.md): <see cref="GpuPreprocessor"/> (K smoothing, INT8
/// quantisation of Q and K, FP8 quantisation of V) followed by the attention main loop
/// (Kernels/Attention/attention_pipelined.cuh: INT8 QKᵀ and FP8 PV on wgmma, online softmax with the kernel exp2),
/// meant to agree bit for bit with <c>Sage.Emulation.EmulatedAttention</c> (tests/Gpu/Attention).
/// Supported: INT8 QK at every granularity, SmoothK on or off, every PV accumulation mode, head dim 64 and 128,
/// causal or not, GQA, any lengths, FP16/BF16/FP32 inputs and outputs, HND/NHD, optional LSE.
/// Not yet: INT4 QK and Q smoothing (<see cref="NotSupportedException"/>).
/// Launches go to the legacy default stream; every public method waits for the GPU before it returns.
/// Not thread-safe (the pre-processor reuses scratch buffers): use one instance per thread.
/// </summary>
public sealed class CudaAttention : IAttentionBackend, IDisposable
{
    private const uint Threads = 256;     // two consumer warpgroups, one per 64-row block of the 128-row CTA tile
    private const int QueryTileRows = 128;
    private const int Stages = 5;         // K/V tile ring of attention_pipelined.cuh (SAGE_STAGES)

    private readonly CudaContext _context;
    private readonly bool _ownsContext;
    private readonly GpuPreprocessor _preprocessor;
    private readonly CudaModule _module;

    /// <summary>Uses device 0 with a context of its own.</summary>
    public CudaAttention() : this(CudaContext.Create(), ownsContext: true, compiler: null) { }

    /// <summary>Uses <paramref name="context"/> (not disposed with this instance).</summary>
    public CudaAttention(CudaContext context, KernelCompiler? compiler = null) : this(context, ownsContext: false, compiler) { }

    private CudaAttention(CudaContext context, bool ownsContext, KernelCompiler? compiler)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
        _ownsContext = ownsContext;
        compiler ??= new KernelCompiler();
        _preprocessor = new GpuPreprocessor(context, compiler);
        try
        {
            Variant = SelectedVariant();
            _module = compiler.Load(context, KernelSource.FromEmbedded(typeof(CudaAttention).Assembly,
                Variant == OverlapVariant ? OverlapKernelResource : KernelResource));
        }
        catch
        {
            _preprocessor.Dispose();
            throw;
        }
    }

    /// <summary>Resource name of the main-loop kernels (the default, "serial" variant).</summary>
    public const string KernelResource = "Sage.Cuda.Kernels.Attention.attention_pipelined.cu";

    /// <summary>Resource name of the "overlap" variant (QKᵀ of tile kt + 1 and PV of tile kt in flight during a softmax).</summary>
    public const string OverlapKernelResource = "Sage.Cuda.Kernels.Attention.attention_overlap.cu";

    /// <summary>Environment variable that picks the main-loop variant ("serial", the default, or "overlap"); both give the same bits.</summary>
    public const string VariantEnvironmentVariable = "SAGE_ATTENTION_KERNEL";

    private const string SerialVariant = "serial";
    private const string OverlapVariant = "overlap";

    /// <summary>The main-loop variant this instance runs ("serial" or "overlap").</summary>
    public string Variant { get; } = SerialVariant;

    private static string SelectedVariant()
    {
        string? value = Environment.GetEnvironmentVariable(VariantEnvironmentVariable);
        if (string.IsNullOrEmpty(value) || value == SerialVariant) return SerialVariant;
        if (value == OverlapVariant) return OverlapVariant;
        throw new ArgumentException($"{VariantEnvironmentVariable}={value}: expected '{SerialVariant}' or '{OverlapVariant}'.");
    }

    public string Name => "cuda";

    /// <summary>The context the kernels run in.</summary>
    public CudaContext Context => _context;

    /// <summary>Host tensors in, host result out (uploads, runs, downloads, waits).</summary>
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

        using var qd = DeviceInput.Upload(_context, q);
        using var kd = DeviceInput.Upload(_context, k);
        using var vd = DeviceInput.Upload(_context, v);
        using var output = DeviceInput.Allocate(_context, options.OutputType, Math.Max(outCount, 1));
        using var lse = problem.ReturnLse ? DeviceBuffer<float>.Allocate(_context, Math.Max(lseCount, 1)) : null;

        Run(problem, options, qd.Tensor, kd.Tensor, vd.Tensor, output.Tensor with { Count = outCount }, lse?.Pointer ?? 0);

        HostTensor result = output.Download(outShape, outCount);
        float[]? lseValues = null;
        if (lse is not null)
        {
            lseValues = new float[lseCount];
            lse.CopyTo(lseValues);
        }
        return new AttentionResult(result, lseValues);
    }

    /// <summary>
    /// Device-level entry: Q, K, V, the output ([B, Hq, Nq, d] or [B, Nq, Hq, d] as the problem's layout says, element
    /// type <see cref="SageOptions.OutputType"/>) and the optional LSE ([B, Hq, Nq] fp32; pass 0 without
    /// <see cref="AttentionProblem.ReturnLse"/>) live in device memory that the caller owns (any allocator of this
    /// context). Waits for the GPU before returning.
    /// </summary>
    public void Run(AttentionProblem problem, SageOptions? options, DeviceTensor q, DeviceTensor k, DeviceTensor v,
        DeviceTensor output, ulong lsePointer)
    {
        ArgumentNullException.ThrowIfNull(problem);
        options ??= SageOptions.Default;
        CheckSupported(problem, options);
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

        using var inputs = _preprocessor.Preprocess(problem, options, q, k, v);
        if (s.QueryLength > 0) LaunchMainLoop(problem, options, inputs, q, output, lsePointer);
        _context.Synchronize(); // the pre-processed buffers are freed on return
    }

    /// <summary>
    /// The main loop alone, on pre-processed inputs (<see cref="GpuPreprocessor.Preprocess(AttentionProblem, SageOptions, DeviceTensor, DeviceTensor, DeviceTensor)"/>);
    /// <paramref name="originalQueries"/> is read only for the LSE correction with SmoothK. Queues the launch and returns.
    /// </summary>
    public void LaunchMainLoop(AttentionProblem problem, SageOptions options, PreprocessedInputs inputs, DeviceTensor originalQueries,
        DeviceTensor output, ulong lsePointer)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(inputs);
        CheckSupported(problem, options);
        var s = problem.Shape;
        if (s.QueryLength == 0) return;
        var qStrides = Strides(problem.Layout, s.QueryHeads, s.QueryLength, s.HeadDim);
        var function = _module.GetFunction(KernelName(s.HeadDim, options.PvAccumulation));
        int shared = SharedMemoryBytes(s.HeadDim);
        if (function.MaxDynamicSharedMemory < shared) function.MaxDynamicSharedMemory = shared;
        var grid = new Dim3((uint)((s.QueryLength + QueryTileRows - 1) / QueryTileRows), (uint)s.QueryHeads, (uint)s.Batch);
        function.Launch(grid, Threads, shared, null,
            inputs.Queries.Values, inputs.Queries.Scales, inputs.Keys.Values, inputs.Keys.Scales,
            inputs.Values.Codes, inputs.Values.Scales, inputs.Keys.Mean,
            KernelArgument.DevicePointer(0), KernelArgument.DevicePointer(0), // ΔS and V mean (SmoothQ / SmoothV: not wired yet)
            KernelArgument.DevicePointer(originalQueries.Pointer), KernelArgument.DevicePointer(output.Pointer),
            KernelArgument.DevicePointer(lsePointer),
            qStrides.Batch, qStrides.Head, qStrides.Token, qStrides.Batch, qStrides.Head, qStrides.Token,
            s.Batch, s.QueryHeads, s.KeyValueHeads, s.QueryLength, s.KeyLength,
            inputs.Queries.PaddedLength, inputs.Keys.PaddedLength, inputs.Keys.Tiles, inputs.Queries.GroupCount,
            (int)options.Granularity, problem.Causal ? 1 : 0, options.SmoothK ? 1 : 0, 0, 0, (int)options.OutputType,
            (int)originalQueries.ElementType, problem.SoftmaxScale);
    }

    /// <summary>Throws <see cref="NotSupportedException"/> for the options this kernel does not run yet.</summary>
    public static void CheckSupported(AttentionProblem problem, SageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(problem);
        if (options.QkFormat != QkFormat.Int8)
            throw new NotSupportedException(
                $"QkFormat.{options.QkFormat}: the CUDA main loop runs INT8 QKᵀ only; the INT4 path (mma.sync m16n8k64 s4) is not written yet.");
        if (options.SmoothQ)
            throw new NotSupportedException(
                "SmoothQ: the CUDA main loop does not add the ΔS correction (docs/kernel-spec.md §2) yet.");
        if (options.SmoothV)
            throw new NotSupportedException(
                "SmoothV: the CUDA main loop does not add the V mean back yet (docs/kernel-spec.md §4, §9).");
    }

    public void Dispose()
    {
        _module.Dispose();
        _preprocessor.Dispose();
        if (_ownsContext) _context.Dispose();
    }

    /// <summary>
    /// Dynamic shared memory of attention_pipelined.cuh: the Q tile (128 rows × d bytes), <see cref="Stages"/> stages of
    /// (V tile + K tile, 2 × 128 × d bytes) and a full and an empty mbarrier (8 bytes each) per stage.
    /// </summary>
    private static int SharedMemoryBytes(int headDim) => 128 * headDim + Stages * (2 * headDim * 128) + Stages * 2 * 8;

    private static string KernelName(int headDim, PvAccumulation mode) => $"sage_attention_d{headDim}_" + mode switch
    {
        PvAccumulation.Fp32 => "fp32",
        PvAccumulation.Fp32TwoLevel => "fp32_two_level",
        PvAccumulation.Fp16TwoLevel => "fp16_two_level",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown PV accumulation."),
    };

    private readonly record struct TensorStrides(long Batch, long Head, long Token);

    /// <summary>Element strides of batch, head and token; channels are contiguous in both layouts.</summary>
    private static TensorStrides Strides(TensorLayout layout, int heads, int tokens, int headDim) => layout == TensorLayout.HND
        ? new TensorStrides((long)heads * tokens * headDim, (long)tokens * headDim, headDim)
        : new TensorStrides((long)tokens * heads * headDim, headDim, (long)heads * headDim);
}
