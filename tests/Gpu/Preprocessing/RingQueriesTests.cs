using Sage.Cuda;
using Sage.Cuda.Preprocessing;
using Sage.Reference;
using Xunit;

namespace Sage.Gpu.Tests.Preprocessing;

/// <summary>
/// The codes ring quantising Q in place of launch 1 (GpuPreprocessor.QueriesInRing): its Q items must write launch 1's
/// bytes (codes and q_scale, the same query_blocks arithmetic), and its K tiles must wait for the trimmed mean, which runs
/// as the grid before the ring while the ring's Q and V items go first: a missing wait reads a K mean before it is
/// written, which shows only when the mean's memory holds another call's values (three rounds on fresh data). Every
/// output must equal launch 1's schedule's bytes (SAGE_PREPROCESS_Q_RING=0); PreprocessingBitExactTests ties the default
/// (the ring with Q) to the emulator, so that both schedules are tied to it.
/// </summary>
public sealed class RingQueriesTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(4, 32, 32, 2048, 128, ElementType.Float16, TensorLayout.HND, QuantGranularity.PerThread, QkFormat.Int8)]
    [InlineData(2, 16, 4, 2048, 64, ElementType.Float16, TensorLayout.NHD, QuantGranularity.PerWarp, QkFormat.Int8)]
    [InlineData(2, 16, 16, 2000, 64, ElementType.BFloat16, TensorLayout.HND, QuantGranularity.PerThread, QkFormat.Int8)]
    [InlineData(2, 16, 16, 1500, 128, ElementType.Float16, TensorLayout.NHD, QuantGranularity.PerThread, QkFormat.Int8)]
    [InlineData(2, 32, 8, 1000, 128, ElementType.Float16, TensorLayout.HND, QuantGranularity.PerWarp, QkFormat.Int8)]
    [InlineData(1, 8, 8, 777, 64, ElementType.Float16, TensorLayout.HND, QuantGranularity.PerBlock, QkFormat.Int8)]
    [InlineData(2, 8, 8, 1024, 128, ElementType.BFloat16, TensorLayout.HND, QuantGranularity.PerThread, QkFormat.Int4)]
    [InlineData(1, 4, 4, 300, 128, ElementType.Float16, TensorLayout.HND, QuantGranularity.PerThread, QkFormat.Int8)]
    public void Ring_queries_write_launch_1s_bytes(int batch, int queryHeads, int keyValueHeads, int length, int headDim,
        ElementType inputType, TensorLayout layout, QuantGranularity granularity, QkFormat format)
    {
        using var context = PreprocessingGpu.ContextOrSkip();
        using var preprocessor = new GpuPreprocessor(context);
        var problem = new AttentionProblem(new AttentionShape(batch, queryHeads, keyValueHeads, length, length, headDim), layout, causal: false);
        var options = new SageOptions { KeyMeanTokens = KeyMeanTokens.Strided, Granularity = granularity, QkFormat = format };
        long compared = 0, mismatches = 0;
        for (int round = 0; round < 3; round++)
        {
            var inputs = SyntheticData.GenerateInputs(problem, DataFamily.KChannelBias, inputType, seed: 43 * round + length + queryHeads);
            var (bytes, differing) = PreprocessedBytes.CompareSchedules(context, preprocessor, problem, options, inputs, quantizeQueries: true,
                p => p.QueriesInRing = false,
                p => p.QueriesInRing = true);
            compared += bytes;
            mismatches += differing;
        }
        string line = $"Ring Q items vs launch 1: B={batch} Hq={queryHeads} Hkv={keyValueHeads} " +
                      $"N={length} d{headDim} {inputType} {layout} {granularity} {format}, 3 rounds: {compared} bytes compared, {mismatches} mismatches";
        output.WriteLine(line);
        PreprocessingGpu.Report(line);
        Assert.Equal(0, mismatches);
    }
}
