using Sage.Cuda;
using Sage.Cuda.Preprocessing;
using Sage.Reference;
using Xunit;

namespace Sage.Gpu.Tests.Preprocessing;

/// <summary>
/// The fused pre-processing's finish (K means, V means, V scales) runs either as launch 2 or inside launch 1, by the
/// statistics CTA that completes each head (GpuPreprocessor.FinishLaunch). Both must write the same bytes: heads whose
/// items straddle CTAs (Nk = 300: 48 items per head at d = 128), CTAs holding many whole heads (Nk = 1: 16 or 8 items per
/// head), SmoothK and SmoothV on and off, both head dims and every input type. PreprocessingBitExactTests ties the default
/// to the emulator.
/// </summary>
public sealed class FinishPlacementTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(3, 5, 300, 128, ElementType.Float16, true, false)]
    [InlineData(2, 7, 1, 64, ElementType.BFloat16, true, true)]
    [InlineData(2, 9, 1, 128, ElementType.Float32, false, true)]
    [InlineData(1, 40, 129, 64, ElementType.Float16, true, true)]
    [InlineData(2, 3, 4100, 128, ElementType.BFloat16, false, false)]
    public void First_launch_finish_writes_launch_twos_bytes(int batch, int heads, int keyLength, int headDim, ElementType inputType,
        bool smoothK, bool smoothV)
    {
        using var context = PreprocessingGpu.ContextOrSkip();
        using var preprocessor = new GpuPreprocessor(context);
        var problem = new AttentionProblem(new AttentionShape(batch, heads, heads, 70, keyLength, headDim), TensorLayout.NHD, causal: false);
        var options = new SageOptions { SmoothK = smoothK, SmoothV = smoothV, KeyMeanTokens = KeyMeanTokens.All }; // launch 1's K statistics: the full mean
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.KChannelBias, inputType, seed: keyLength + heads);
        var (compared, mismatches) = PreprocessedBytes.CompareSchedules(context, preprocessor, problem, options, inputs, quantizeQueries: true,
            p => p.FinishLaunch = true, p => p.FinishLaunch = false);
        string line = $"Finish in launch 1 vs launch 2: B={batch} Hkv={heads} Nk={keyLength} d{headDim} {inputType} SmoothK={smoothK} " +
                      $"SmoothV={smoothV}: {compared} bytes compared, {mismatches} mismatches";
        output.WriteLine(line);
        PreprocessingGpu.Report(line);
        Assert.Equal(0, mismatches);
    }
}
