using Sage.Cuda;
using Sage.Cuda.Preprocessing;
using Sage.Reference;
using Xunit;

namespace Sage.Gpu.Tests.Preprocessing;

/// <summary>
/// Launch 3 (the K and V codes) queued as a programmatic dependent of launch 1 (GpuPreprocessor.DependentCodes) loads its
/// rows before launch 1 has finished and waits (griddepcontrol.wait) only before it reads the means and V scales. A
/// wait in the wrong place reads a mean or scale before launch 1 wrote it, which only shows when the two grids overlap:
/// many tiles per head and several waves of each launch, three rounds on fresh data. Q is left to the main loop, as the
/// dependent launch requires (launch 1 then holds statistics CTAs only), at both head dims. Every output must equal the
/// ordinary launch's bytes; PreprocessingBitExactTests ties the default (dependent) path to the emulator. Both sides keep
/// the per-tile launch 3 (where V goes in one pass the default is the ring, an ordinary launch: RingCodesTests).
/// </summary>
public sealed class DependentCodesTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(4, 16, 2048, 128, ElementType.Float16, true, false)]
    [InlineData(2, 24, 4100, 64, ElementType.BFloat16, true, true)]
    [InlineData(2, 8, 3000, 128, ElementType.Float32, false, true)]
    [InlineData(4, 32, 1024, 128, ElementType.Float16, true, true)]
    public void Dependent_launch_writes_the_ordinary_launchs_bytes(int batch, int heads, int length, int headDim, ElementType inputType,
        bool smoothK, bool smoothV)
    {
        using var context = PreprocessingGpu.ContextOrSkip();
        using var preprocessor = new GpuPreprocessor(context);
        var problem = new AttentionProblem(new AttentionShape(batch, heads, heads, length, length, headDim), TensorLayout.HND, causal: false);
        var options = new SageOptions { SmoothK = smoothK, SmoothV = smoothV, KeyMeanTokens = KeyMeanTokens.All }; // launch 1's K statistics: the full mean
        long compared = 0, mismatches = 0;
        for (int round = 0; round < 3; round++)
        {
            var inputs = SyntheticData.GenerateInputs(problem, DataFamily.KChannelBias, inputType, seed: 31 * round + length + heads);
            var (bytes, differing) = PreprocessedBytes.CompareSchedules(context, preprocessor, problem, options, inputs, quantizeQueries: false,
                p => (p.DependentCodes, p.CodesChoice) = (false, GpuPreprocessor.CodesSchedule.PerTile),
                p => (p.DependentCodes, p.CodesChoice) = (true, GpuPreprocessor.CodesSchedule.PerTile));
            compared += bytes;
            mismatches += differing;
        }
        string line = $"Dependent launch 3 vs ordinary: B={batch} H={heads} N={length} d{headDim} {inputType} SmoothK={smoothK} " +
                      $"SmoothV={smoothV}, 3 rounds: {compared} bytes compared, {mismatches} mismatches";
        output.WriteLine(line);
        PreprocessingGpu.Report(line);
        Assert.Equal(0, mismatches);
    }
}
