using Sage.Cuda;
using Sage.Cuda.Preprocessing;
using Sage.Reference;
using Xunit;

namespace Sage.Gpu.Tests.Attention;

/// <summary>
/// Without SmoothQ the main loop quantises each 64-row Q block in its CTA's prologue (attention_query_quantize.cuh);
/// with pre-processed inputs that hold Q it loads the pre-processing's codes instead. Both must give the same output and
/// LSE bits: every granularity (the quad, warp and block reductions), every input type, both head dims and layouts,
/// ragged lengths (a last block with few real rows), causal masks and GQA. The emulator comparisons of
/// AttentionBitExactTests go through Run, which takes the in-prologue path above 2,048 keys (at d = 128 in the solo CTA) and
/// the pre-processed Q otherwise (CudaAttention.QuantizesQueriesInMainLoop), so with these tests both paths are tied to the
/// emulator at both head dims.
/// </summary>
public sealed class QueryQuantizationPlacementTests(ITestOutputHelper output)
{
    public static TheoryData<QuantGranularity, ElementType, int, TensorLayout, bool, int, int> Cases => new()
    {
        { QuantGranularity.PerThread, ElementType.Float16, 128, TensorLayout.HND, false, 200, 333 },
        { QuantGranularity.PerThread, ElementType.BFloat16, 64, TensorLayout.NHD, true, 77, 130 },
        { QuantGranularity.PerThread, ElementType.Float32, 128, TensorLayout.NHD, true, 129, 129 },
        { QuantGranularity.PerWarp, ElementType.Float16, 64, TensorLayout.HND, true, 150, 300 },
        { QuantGranularity.PerWarp, ElementType.BFloat16, 128, TensorLayout.HND, false, 65, 64 },
        { QuantGranularity.PerBlock, ElementType.Float16, 128, TensorLayout.NHD, true, 191, 250 },
        { QuantGranularity.PerBlock, ElementType.Float32, 64, TensorLayout.HND, false, 1, 17 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Main_loop_quantisation_of_Q_matches_the_preprocessed_Q(QuantGranularity granularity, ElementType inputType, int headDim,
        TensorLayout layout, bool causal, int queryLength, int keyLength) =>
        AssertPlacementsAgree(null, "Q in main loop vs pre-processed Q", granularity, inputType, headDim, layout,
            causal, queryLength, keyLength, seed: queryLength + keyLength);

    /// <summary>
    /// Runs the problem (B = 2, Hq = 4, Hkv = 2, KChannelBias data, LSE returned) with Q quantised by the main loop and with the
    /// pre-processed Q, on the given CTA (null: the backend's choice, SAGE_MAIN_LOOP included), and requires the same output
    /// and LSE bits.
    /// </summary>
    private void AssertPlacementsAgree(CudaAttention.MainLoopCta? cta, string label, QuantGranularity granularity, ElementType inputType,
        int headDim, TensorLayout layout, bool causal, int queryLength, int keyLength, int seed)
    {
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(context);
        if (cta is { } choice) gpu.MainLoopCtaChoice = choice;
        using var preprocessor = new GpuPreprocessor(context);
        var problem = new AttentionProblem(new AttentionShape(2, 4, 2, queryLength, keyLength, headDim), layout, causal, returnLse: true);
        var options = new SageOptions { Granularity = granularity, SmoothK = granularity != QuantGranularity.PerWarp };
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.KChannelBias, inputType, seed);
        var (inKernel, preprocessed, count) = RunBoth(context, gpu, preprocessor, problem, options, inputs.Q, inputs.K, inputs.V);
        long mismatches = OutputComparison.BitMismatches(inKernel.Out, preprocessed.Out, inKernel.Lse, preprocessed.Lse);
        string line = $"{label}: {granularity} {inputType} d{headDim} {layout} causal={causal} " +
                      $"{queryLength}x{keyLength}: {count} elements compared, {mismatches} mismatches";
        output.WriteLine(line);
        AttentionGpu.Report(line);
        Assert.Equal(0, mismatches);
    }

    public static TheoryData<QuantGranularity, ElementType, TensorLayout, bool, int, int> SharedCases => new()
    {
        { QuantGranularity.PerThread, ElementType.Float16, TensorLayout.HND, false, 200, 333 },  // 4 blocks: the second CTA has two idle warpgroups
        { QuantGranularity.PerBlock, ElementType.Float16, TensorLayout.NHD, true, 300, 250 },    // 5 blocks, causal: one idle warpgroup, Nq > Nk
        { QuantGranularity.PerWarp, ElementType.BFloat16, TensorLayout.HND, true, 129, 1000 },
        { QuantGranularity.PerBlock, ElementType.Float32, TensorLayout.NHD, false, 1000, 700 },
        { QuantGranularity.PerThread, ElementType.Float32, TensorLayout.HND, true, 1100, 1100 },
    };

    /// <summary>
    /// The shared CTA (three warpgroups, d = 128) with each warpgroup quantising its own block (the *_mlq_share kernels;
    /// the PerBlock maximum on a named barrier per warpgroup, idle warpgroups skipping the prologue) against the same CTA
    /// loading the pre-processed Q. MainLoopCtaTests ties the shared CTA on pre-processed Q to the solo one.
    /// </summary>
    [Theory]
    [MemberData(nameof(SharedCases))]
    public void Shared_cta_quantisation_of_Q_matches_the_preprocessed_Q(QuantGranularity granularity, ElementType inputType, TensorLayout layout,
        bool causal, int queryLength, int keyLength) =>
        AssertPlacementsAgree(CudaAttention.MainLoopCta.Share, "Shared CTA, Q in main loop vs pre-processed Q", granularity, inputType, 128,
            layout, causal, queryLength, keyLength, seed: queryLength * 3 + keyLength);

    /// <summary>
    /// Quotients x ⊘ scale exactly on a rounding midpoint (k + ½, ties to even) and within an ulp of one: the prologue's
    /// division-free codes must hand these to div.rn (attention_query_quantize.cuh) and still match the pre-processing.
    /// Every row holds 127 (scale = 1 for the per-thread group), then k + ½ for k = −127 .. 126 and neighbours.
    /// </summary>
    [Theory]
    [InlineData(ElementType.Float32, QuantGranularity.PerThread)]
    [InlineData(ElementType.Float16, QuantGranularity.PerWarp)]
    public void Midpoint_quotients_match_the_preprocessed_Q(ElementType inputType, QuantGranularity granularity)
    {
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(context);
        using var preprocessor = new GpuPreprocessor(context);
        var problem = new AttentionProblem(new AttentionShape(1, 2, 2, 100, 96, 128), TensorLayout.HND, causal: false, returnLse: true);
        var options = new SageOptions { Granularity = granularity };
        var s = problem.Shape;
        var random = new Random(7);
        var qValues = new float[s.Batch * s.QueryHeads * s.QueryLength * s.HeadDim];
        for (int row = 0; row < qValues.Length / s.HeadDim; row++)
            for (int c = 0; c < s.HeadDim; c++)
            {
                int k = random.Next(-127, 127);
                float value = (c % 3) switch
                {
                    0 => k + 0.5f,                                   // on a midpoint
                    1 => MathF.BitIncrement(k + 0.5f) * (k % 2 == 0 ? 1 : -1), // an ulp past one (fp32 only; fp16 rounds back)
                    _ => MathF.BitDecrement(k + 0.5f),
                };
                qValues[row * s.HeadDim + c] = c == 5 ? 127f : value;
            }
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.Gaussian, inputType, seed: 3);
        var q = HostTensor.Create(inputType, qValues, s.QueryShape(problem.Layout));
        var (inKernel, preprocessed, count) = RunBoth(context, gpu, preprocessor, problem, options, q, inputs.K, inputs.V);
        long mismatches = OutputComparison.BitMismatches(inKernel.Out, preprocessed.Out, inKernel.Lse, preprocessed.Lse);
        string line = $"Q in main loop vs pre-processed Q, midpoint quotients: {inputType} {granularity}: {count} elements compared, {mismatches} mismatches";
        output.WriteLine(line);
        AttentionGpu.Report(line);
        Assert.Equal(0, mismatches);
    }

    private static ((ushort[] Out, float[] Lse) A, (ushort[] Out, float[] Lse) B, long Count) RunBoth(CudaContext context, CudaAttention gpu,
        GpuPreprocessor preprocessor, AttentionProblem problem, SageOptions options, HostTensor qHost, HostTensor kHost, HostTensor vHost)
    {
        var s = problem.Shape;
        long outCount = (long)s.Batch * s.QueryHeads * s.QueryLength * s.HeadDim;
        long lseCount = (long)s.Batch * s.QueryHeads * s.QueryLength;
        using var stream = CudaStream.Create(context);
        using var q = DeviceInput.Upload(context, qHost, stream);
        using var k = DeviceInput.Upload(context, kHost, stream);
        using var v = DeviceInput.Upload(context, vHost, stream);
        using var inKernel = DeviceBuffer<ushort>.Allocate(context, outCount);
        using var preprocessed = DeviceBuffer<ushort>.Allocate(context, outCount);
        using var lseInKernel = DeviceBuffer<float>.Allocate(context, lseCount);
        using var lsePreprocessed = DeviceBuffer<float>.Allocate(context, lseCount);
        using (var withoutQ = preprocessor.Preprocess(problem, options, q.Tensor, k.Tensor, v.Tensor, stream, quantizeQueries: false))
        {
            Assert.Null(withoutQ.Queries);
            gpu.LaunchMainLoop(problem, options, withoutQ, q.Tensor, DeviceTensor.From(inKernel, ElementType.Float16), lseInKernel.Pointer, stream);
        }
        using (var withQ = preprocessor.Preprocess(problem, options, q.Tensor, k.Tensor, v.Tensor, stream, quantizeQueries: true))
        {
            Assert.NotNull(withQ.Queries);
            gpu.LaunchMainLoop(problem, options, withQ, q.Tensor, DeviceTensor.From(preprocessed, ElementType.Float16), lsePreprocessed.Pointer, stream);
        }
        stream.Synchronize();
        return ((inKernel.ToArray(), lseInKernel.ToArray()), (preprocessed.ToArray(), lsePreprocessed.ToArray()), outCount + lseCount);
    }

    [Fact]
    public void Default_placement_is_the_main_loop_above_2K_keys_outside_the_shared_CTA()
    {
        using var context = AttentionGpu.ContextOrSkip();
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(CudaAttention.QueryQuantizationEnvironmentVariable)))
            Assert.Skip($"{CudaAttention.QueryQuantizationEnvironmentVariable} is set: the default policy is not in force.");
        using var gpu = new CudaAttention(context) { MainLoopCtaChoice = CudaAttention.MainLoopCta.Auto }; // auto, whatever SAGE_MAIN_LOOP says
        var options = SageOptions.Default;
        AttentionProblem Problem(int d, int nk) => new(new AttentionShape(1, 1, 1, 128, nk, d));
        Assert.False(gpu.QuantizesQueriesInMainLoop(Problem(64, 2048), options));
        Assert.True(gpu.QuantizesQueriesInMainLoop(Problem(64, 2049), options));
        Assert.True(gpu.QuantizesQueriesInMainLoop(Problem(64, 32768), options));
        Assert.False(gpu.QuantizesQueriesInMainLoop(Problem(128, 2048), options));
        Assert.True(gpu.QuantizesQueriesInMainLoop(Problem(128, 4096), options));
        Assert.False(gpu.QuantizesQueriesInMainLoop(new AttentionProblem(new AttentionShape(1, 1, 1, 16384, 16384, 128)), options)); // shared CTA
        Assert.False(gpu.QuantizesQueriesInMainLoop(Problem(64, 4096), options with { SmoothV = true }));
    }

    [Fact]
    public void SmoothV_needs_the_preprocessed_Q()
    {
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(context);
        using var preprocessor = new GpuPreprocessor(context);
        var smoothV = new SageOptions { SmoothV = true };
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, 64, 64, 64));
        Assert.False(gpu.QuantizesQueriesInMainLoop(problem, smoothV));
        using var buffer = DeviceBuffer<ushort>.Allocate(context, 64 * 64);
        var t = DeviceTensor.From(buffer, ElementType.Float16);
        using var output = DeviceBuffer<ushort>.Allocate(context, 64 * 64);
        using var inputs = preprocessor.Preprocess(problem, smoothV, t, t, t, quantizeQueries: false);
        var e = Assert.Throws<ArgumentException>(() => gpu.LaunchMainLoop(problem, smoothV, inputs, t, DeviceTensor.From(output, ElementType.Float16), 0));
        Assert.Equal("inputs", e.ParamName);
        Assert.Contains("SmoothV", e.Message);
    }

    [Fact]
    public void SmoothQ_keeps_Q_in_the_preprocessing()
    {
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(context);
        using var preprocessor = new GpuPreprocessor(context);
        var smoothQ = new SageOptions { SmoothQ = true };
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, 64, 64, 64));
        Assert.False(gpu.QuantizesQueriesInMainLoop(problem, smoothQ));
        using var buffer = DeviceBuffer<ushort>.Allocate(context, 64 * 64);
        var t = DeviceTensor.From(buffer, ElementType.Float16);
        var e = Assert.Throws<ArgumentException>(() => preprocessor.Preprocess(problem, smoothQ, t, t, t, quantizeQueries: false));
        Assert.Equal("quantizeQueries", e.ParamName);
    }

    /// <summary>
    /// With SmoothK the LSE's correction comes from the pre-processing (per-row dot products, kernel-spec §10): inputs
    /// pre-processed for a problem without ReturnLse hold none, and launching with an LSE buffer says so instead of
    /// reading a null pointer; pre-processed with ReturnLse they hold B·Hq·Nq of them.
    /// </summary>
    [Fact]
    public void Lse_with_SmoothK_needs_the_preprocessed_dot_products()
    {
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(context);
        using var preprocessor = new GpuPreprocessor(context);
        var options = SageOptions.Default; // SmoothK on
        Assert.True(options.SmoothK);
        var withoutLse = new AttentionProblem(new AttentionShape(1, 2, 1, 64, 64, 64));
        var withLse = new AttentionProblem(new AttentionShape(1, 2, 1, 64, 64, 64), returnLse: true);
        using var q = DeviceBuffer<ushort>.Allocate(context, 2 * 64 * 64);
        using var kv = DeviceBuffer<ushort>.Allocate(context, 64 * 64);
        var tq = DeviceTensor.From(q, ElementType.Float16);
        var tkv = DeviceTensor.From(kv, ElementType.Float16);
        using var output = DeviceBuffer<ushort>.Allocate(context, 2 * 64 * 64);
        using var lse = DeviceBuffer<float>.Allocate(context, 2 * 64);
        using (var inputs = preprocessor.Preprocess(withoutLse, options, tq, tkv, tkv))
        {
            Assert.Null(inputs.LseDot);
            var e = Assert.Throws<ArgumentException>(() =>
                gpu.LaunchMainLoop(withLse, options, inputs, tq, DeviceTensor.From(output, ElementType.Float16), lse.Pointer));
            Assert.Equal("inputs", e.ParamName);
            Assert.Contains("ReturnLse", e.Message);
        }
        using (var inputs = preprocessor.Preprocess(withLse, options, tq, tkv, tkv))
        {
            Assert.NotNull(inputs.LseDot);
            Assert.Equal(2 * 64, inputs.LseDot!.Count);
        }
        context.Synchronize();
    }
}
