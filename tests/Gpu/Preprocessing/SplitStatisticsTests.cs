using Sage.Cuda;
using Sage.Cuda.Preprocessing;
using Sage.Reference;
using Xunit;

namespace Sage.Gpu.Tests.Preprocessing;

/// <summary>
/// The split statistics (GpuPreprocessor.SplitStatistics: two threads per item, one for the K chunk sums, one for the V
/// minima, maxima and sums) run tile_stats's chains in the same order, so every output must equal the joint statistics'
/// bytes: items that straddle CTAs (Nk = 300), CTAs holding many heads (Nk = 1), odd tails, SmoothV on and off, both head
/// dims and every input type, with Q quantised in launch 1 and without.
/// </summary>
public sealed class SplitStatisticsTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(4, 16, 2048, 128, ElementType.Float16, false, true)]
    [InlineData(2, 5, 300, 128, ElementType.BFloat16, true, true)]
    [InlineData(2, 9, 1, 64, ElementType.Float32, true, false)]
    [InlineData(1, 40, 129, 64, ElementType.Float16, true, true)]
    [InlineData(2, 3, 4100, 128, ElementType.Float32, false, false)]
    public void Split_statistics_write_the_joint_statistics_bytes(int batch, int heads, int length, int headDim, ElementType inputType,
        bool smoothV, bool quantizeQueries)
    {
        using var context = PreprocessingGpu.ContextOrSkip();
        using var preprocessor = new GpuPreprocessor(context);
        var problem = new AttentionProblem(new AttentionShape(batch, heads, heads, length, length, headDim), TensorLayout.NHD, causal: false);
        var options = new SageOptions { SmoothK = true, SmoothV = smoothV, KeyMeanTokens = KeyMeanTokens.All }; // launch 1's K statistics: the full mean
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.KChannelBias, inputType, seed: length + 7 * heads);
        // Two passes over V on both sides: where V goes in one pass launch 1 forms the K sums alone, joint or split alike.
        var (compared, mismatches) = PreprocessedBytes.CompareSchedules(context, preprocessor, problem, options, inputs, quantizeQueries,
            p => (p.SplitStatistics, p.ValuePassChoice) = (false, GpuPreprocessor.ValuePasses.Two),
            p => (p.SplitStatistics, p.ValuePassChoice) = (true, GpuPreprocessor.ValuePasses.Two));
        string line = $"Split vs joint statistics: B={batch} H={heads} N={length} d{headDim} {inputType} SmoothV={smoothV} " +
                      $"Q in launch 1={quantizeQueries}: {compared} bytes compared, {mismatches} mismatches";
        output.WriteLine(line);
        PreprocessingGpu.Report(line);
        Assert.Equal(0, mismatches);
    }
}
