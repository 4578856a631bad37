namespace Sage.Cuda.Preprocessing;

/// <summary>
/// The pre-processing kernels of docs/kernel-spec.md §1-§4 on the GPU: KSmoothing, QSmoothing (means and Q − mean),
/// INT8/INT4 quantisation of Q and K at every granularity, and per-channel FP8 E4M3 quantisation of V. Bit-exact
/// with the emulator's stages (tests/Gpu/Preprocessing). Kernels are compiled once per instance through NVRTC
/// (with --fmad=false; every rounding is an explicit _rn intrinsic or PTX cvt). All launches go to the legacy
/// default stream, in order; the methods return without waiting for the GPU. Not thread-safe: an instance keeps
/// scratch buffers that consecutive calls reuse (in stream order).
/// </summary>
public sealed class GpuPreprocessor : IDisposable
{
    private const uint Threads = 256; // SAGE_THREADS in preprocess_common.cuh
    private const double Log2E = 1.4426950408889634;

    private readonly CudaContext _context;
    private readonly CudaModule _keySmoothing;
    private readonly CudaModule _qkQuantize;
    private readonly CudaModule _vQuantize;

    // Scratch reused across calls (grow-only): freeing it per call would synchronise the device mid-pipeline.
    private DeviceBuffer<float>? _chunkSums;
    private DeviceBuffer<uint>? _valueMaxima;

    public GpuPreprocessor(CudaContext context, KernelCompiler? compiler = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
        compiler ??= new KernelCompiler();
        _keySmoothing = compiler.Load(context, Source("key_smoothing.cu"));
        try
        {
            _qkQuantize = compiler.Load(context, Source("qk_quantize.cu"));
            _vQuantize = compiler.Load(context, Source("v_quantize.cu"));
        }
        catch
        {
            _keySmoothing.Dispose();
            _qkQuantize?.Dispose();
            throw;
        }
    }

    /// <summary>Resource names of the kernels (for compile checks).</summary>
    public static IReadOnlyList<string> KernelResources { get; } =
        ["Sage.Cuda.Kernels.Preprocess.key_smoothing.cu", "Sage.Cuda.Kernels.Preprocess.qk_quantize.cu", "Sage.Cuda.Kernels.Preprocess.v_quantize.cu"];

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

    /// <summary>Runs KSmoothing + K quantisation, QSmoothing + Q quantisation and V quantisation.</summary>
    public PreprocessedInputs Preprocess(AttentionProblem problem, SageOptions options, DeviceTensor q, DeviceTensor k, DeviceTensor v)
    {
        var keys = QuantizeKeys(problem, options, k);
        QuantizedQueries? queries = null;
        try
        {
            queries = QuantizeQueries(problem, options, q);
            var values = QuantizeValues(problem, options, v);
            return new PreprocessedInputs(queries, keys, values);
        }
        catch
        {
            keys.Dispose();
            queries?.Dispose();
            throw;
        }
    }

    /// <summary>KSmoothing (§1) and K quantisation (§3). With SmoothQ, also keeps K̃ in fp32 for ΔS.</summary>
    public QuantizedKeys QuantizeKeys(AttentionProblem problem, SageOptions options, DeviceTensor k)
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

        var mean = DeviceBuffer<float>.Allocate(_context, bh * d);
        DeviceBuffer<sbyte>? values = null;
        DeviceBuffer<float>? scales = null, smoothed = null;
        try
        {
            values = DeviceBuffer<sbyte>.Allocate(_context, bh * padded * PreprocessLayout.QuantizedRowBytes(options.QkFormat, d));
            scales = DeviceBuffer<float>.Allocate(_context, bh * tiles * groups);
            if (options.SmoothQ) smoothed = DeviceBuffer<float>.Allocate(_context, bh * n * d);
            mean.FillBytes(0); // mean = 0 without SmoothK (and for N = 0)
            if (tiles > 0)
            {
                var grid = new Dim3((uint)tiles, (uint)heads, (uint)s.Batch);
                if (options.SmoothK)
                {
                    var partial = Scratch(ref _chunkSums, bh * tiles * d);
                    _keySmoothing.GetFunction("key_chunk_sums_" + suffix).Launch(grid, (uint)d, 0, null,
                        KernelArgument.DevicePointer(k.Pointer), strides.Batch, strides.Head, strides.Token, n, d, heads, partial);
                    _keySmoothing.GetFunction("key_mean").Launch(new Dim3((uint)bh), (uint)d, 0, null, partial, tiles, n, d, mean);
                }
                _qkQuantize.GetFunction("key_quantize_" + suffix).Launch(grid, Threads, 0, null,
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
    public QuantizedQueries QuantizeQueries(AttentionProblem problem, SageOptions options, DeviceTensor q)
    {
        Check(problem, options);
        var s = problem.Shape;
        CheckTensor(q, s.QueryShape(problem.Layout), nameof(q));
        int n = s.QueryLength, d = s.HeadDim, heads = s.QueryHeads;
        int padded = PreprocessLayout.PaddedQueryLength(n);
        int groupCount = PreprocessLayout.QueryGroups(options.Granularity, n);
        long bh = (long)s.Batch * heads;
        var strides = Strides(problem.Layout, heads, n, d);
        float log2eScale = (float)(problem.SoftmaxScale * Log2E); // LOG2E_SCALE: formed in float64, rounded once

        var values = DeviceBuffer<sbyte>.Allocate(_context, bh * padded * PreprocessLayout.QuantizedRowBytes(options.QkFormat, d));
        DeviceBuffer<float>? scales = null, means = null;
        try
        {
            scales = DeviceBuffer<float>.Allocate(_context, bh * groupCount);
            if (options.SmoothQ) means = DeviceBuffer<float>.Allocate(_context, bh * PreprocessLayout.QueryBlocks(n) * d);
            if (padded > 0)
            {
                var grid = new Dim3((uint)(padded / PreprocessLayout.QueryBlockRows), (uint)heads, (uint)s.Batch);
                _qkQuantize.GetFunction("query_quantize_" + Suffix(q.ElementType)).Launch(grid, Threads, 0, null,
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

    /// <summary>VQuantization (§4) with V_MAX = <see cref="SageOptions.VScaleMax"/> (2.25 for Fp16TwoLevel, else 448).</summary>
    public QuantizedValues QuantizeValues(AttentionProblem problem, SageOptions options, DeviceTensor v)
    {
        Check(problem, options);
        var s = problem.Shape;
        CheckTensor(v, s.KeyValueShape(problem.Layout), nameof(v));
        int n = s.KeyLength, d = s.HeadDim, heads = s.KeyValueHeads;
        int tiles = PreprocessLayout.KeyTiles(n), padded = PreprocessLayout.PaddedKeyLength(n);
        long bh = (long)s.Batch * heads;
        var strides = Strides(problem.Layout, heads, n, d);
        string suffix = Suffix(v.ElementType);

        var codes = DeviceBuffer<byte>.Allocate(_context, bh * d * padded);
        DeviceBuffer<float>? scales = null;
        try
        {
            scales = DeviceBuffer<float>.Allocate(_context, bh * d);
            if (tiles == 0)
            {
                scales.FillBytes(0); // no token: amax = 0, v_scale = 0
                return new QuantizedValues(codes, scales, padded);
            }
            var amax = Scratch(ref _valueMaxima, bh * d);
            amax.FillBytes(0); // the same (legacy default) stream as the kernels, so ordered after earlier users
            var grid = new Dim3((uint)tiles, (uint)heads, (uint)s.Batch);
            _vQuantize.GetFunction("value_amax_" + suffix).Launch(grid, (uint)d, 0, null,
                KernelArgument.DevicePointer(v.Pointer), strides.Batch, strides.Head, strides.Token, n, d, heads, amax);
            _vQuantize.GetFunction("value_quantize_" + suffix).Launch(grid, Threads, 0, null,
                KernelArgument.DevicePointer(v.Pointer), strides.Batch, strides.Head, strides.Token, n, d, heads, amax,
                (float)options.VScaleMax, scales, codes, padded);
            return new QuantizedValues(codes, scales, padded);
        }
        catch
        {
            codes.Dispose();
            scales?.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _chunkSums?.Dispose();
        _valueMaxima?.Dispose();
        _keySmoothing.Dispose();
        _qkQuantize.Dispose();
        _vQuantize.Dispose();
    }

    private DeviceBuffer<T> Scratch<T>(ref DeviceBuffer<T>? buffer, long count) where T : unmanaged
    {
        if (buffer is null || buffer.Count < count)
        {
            buffer?.Dispose();
            buffer = null;
            buffer = DeviceBuffer<T>.Allocate(_context, Math.Max(count, 1));
        }
        return buffer;
    }

    private static KernelSource Source(string file) =>
        KernelSource.FromEmbedded(typeof(GpuPreprocessor).Assembly, "Sage.Cuda.Kernels.Preprocess." + file);

    private static void Check(AttentionProblem problem, SageOptions options)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(problem); // d ∈ {64, 128}: the kernels' 8-channel vectors and 128-entry shared arrays rely on it
    }

    private static void CheckTensor(DeviceTensor tensor, int[] shape, string name)
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
