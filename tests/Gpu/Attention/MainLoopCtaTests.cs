using Sage.Cuda;
using Sage.Cuda.Preprocessing;
using Sage.Reference;
using Xunit;

namespace Sage.Gpu.Tests.Attention;

/// <summary>
/// The shared CTA (three warpgroups on one ring of K/V stages, attention_solo.cuh with WGS = 3) must give the solo CTA's
/// output and LSE bits on the same pre-processed inputs: every PV mode, the smoothed kernels, causal masks whose three
/// blocks of a CTA visit different tile counts, rows without visible keys (Nq > Nk), block counts that leave one or two
/// warpgroups of the last CTA idle, GQA, and enough tiles to wrap the six-stage ring many times. AttentionBitExactTests
/// ties the solo CTA to the emulator, so these tie the shared one to it too.
/// </summary>
public sealed class MainLoopCtaTests(ITestOutputHelper output)
{
    public static TheoryData<PvAccumulation, QuantGranularity, ElementType, TensorLayout, bool, bool, int, int, PEncoding> Cases => new()
    {
        { PvAccumulation.Fp16TwoLevel, QuantGranularity.PerThread, ElementType.Float16, TensorLayout.HND, false, false, 700, 900, PEncoding.Exp2 },
        { PvAccumulation.Fp32TwoLevel, QuantGranularity.PerThread, ElementType.Float16, TensorLayout.HND, true, false, 1000, 1000, PEncoding.Exp2 },
        { PvAccumulation.Fp32, QuantGranularity.PerWarp, ElementType.BFloat16, TensorLayout.NHD, true, false, 1100, 600, PEncoding.Exp2 },
        { PvAccumulation.Fp16TwoLevel, QuantGranularity.PerThread, ElementType.Float16, TensorLayout.HND, true, true, 513, 2000, PEncoding.Exp2 },
        { PvAccumulation.Fp16TwoLevel, QuantGranularity.PerBlock, ElementType.BFloat16, TensorLayout.NHD, false, false, 4100, 4100, PEncoding.Exp2 },
        { PvAccumulation.Fp16TwoLevel, QuantGranularity.PerThread, ElementType.Float32, TensorLayout.HND, true, false, 3000, 3000, PEncoding.Exp2 },
        { PvAccumulation.Fp32TwoLevel, QuantGranularity.PerWarp, ElementType.Float16, TensorLayout.HND, false, true, 64, 5000, PEncoding.Exp2 },
        // PEncoding.LogLinear: the shared CTAs of attention_solo_loglinear.cu (plain and smoothed kernels, causal).
        { PvAccumulation.Fp16TwoLevel, QuantGranularity.PerThread, ElementType.Float16, TensorLayout.HND, true, false, 700, 900, PEncoding.LogLinear },
        { PvAccumulation.Fp32TwoLevel, QuantGranularity.PerThread, ElementType.BFloat16, TensorLayout.NHD, false, true, 1000, 1000, PEncoding.LogLinear },
        { PvAccumulation.Fp32, QuantGranularity.PerWarp, ElementType.Float16, TensorLayout.HND, true, false, 513, 2000, PEncoding.LogLinear },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Shared_cta_matches_the_solo_cta(PvAccumulation mode, QuantGranularity granularity, ElementType inputType, TensorLayout layout,
        bool causal, bool smooth, int queryLength, int keyLength, PEncoding encoding)
    {
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(context);
        using var preprocessor = new GpuPreprocessor(context);
        var problem = new AttentionProblem(new AttentionShape(2, 4, 2, queryLength, keyLength, 128), layout, causal, returnLse: true);
        var options = new SageOptions
        {
            PvAccumulation = mode, Granularity = granularity, SmoothK = granularity != QuantGranularity.PerBlock, SmoothQ = smooth, SmoothV = smooth,
            PEncoding = encoding,
        };
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.KChannelBias, inputType, seed: queryLength * 7 + keyLength);
        var s = problem.Shape;
        long outCount = (long)s.Batch * s.QueryHeads * s.QueryLength * s.HeadDim;
        long lseCount = (long)s.Batch * s.QueryHeads * s.QueryLength;
        using var stream = CudaStream.Create(context);
        using var q = DeviceInput.Upload(context, inputs.Q, stream);
        using var k = DeviceInput.Upload(context, inputs.K, stream);
        using var v = DeviceInput.Upload(context, inputs.V, stream);
        using var sharedOut = DeviceBuffer<ushort>.Allocate(context, outCount);
        using var soloOut = DeviceBuffer<ushort>.Allocate(context, outCount);
        using var sharedLse = DeviceBuffer<float>.Allocate(context, lseCount);
        using var soloLse = DeviceBuffer<float>.Allocate(context, lseCount);
        using (var pre = preprocessor.Preprocess(problem, options, q.Tensor, k.Tensor, v.Tensor, stream, quantizeQueries: true))
        {
            gpu.MainLoopCtaChoice = CudaAttention.MainLoopCta.Share;
            gpu.LaunchMainLoop(problem, options, pre, q.Tensor, DeviceTensor.From(sharedOut, ElementType.Float16), sharedLse.Pointer, stream);
            gpu.MainLoopCtaChoice = CudaAttention.MainLoopCta.Solo;
            gpu.LaunchMainLoop(problem, options, pre, q.Tensor, DeviceTensor.From(soloOut, ElementType.Float16), soloLse.Pointer, stream);
        }
        stream.Synchronize();
        long mismatches = OutputComparison.BitMismatches(soloOut.ToArray(), sharedOut.ToArray(), soloLse.ToArray(), sharedLse.ToArray());
        string line = $"Shared CTA vs solo CTA: {mode} {granularity} {inputType} {layout} causal={causal} smooth={smooth} P={encoding} " +
                      $"{queryLength}x{keyLength}: {outCount + lseCount} elements compared, {mismatches} mismatches";
        output.WriteLine(line);
        AttentionGpu.Report(line);
        Assert.Equal(0, mismatches);
    }
}
