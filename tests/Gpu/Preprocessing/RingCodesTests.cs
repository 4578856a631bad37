using Sage.Cuda;
using Sage.Cuda.Preprocessing;
using Sage.Reference;
using Xunit;

namespace Sage.Gpu.Tests.Preprocessing;

/// <summary>
/// Launch 3 as a ring (GpuPreprocessor.CodesSchedule.Ring: preprocess_quantize_kv_ring_*, one CTA per SM with the rows of
/// six items in flight through the copy engine) must write the per-tile launch's bytes: K codes and scales, V codes and
/// scales, and everything else unchanged. The ring takes V in one pass in either layout (HND through rank-2 maps, NHD
/// through rank-3 maps): both head dims, both 16-bit types, GQA, INT4 keys, every granularity, ragged tails (100, 129,
/// 1000 keys), the longest length (2048), Q in launch 1 or left to the main loop, and non-finite values (NaN, ±∞, a
/// channel all NaN in one tile, a channel all NaN).
/// </summary>
public sealed class RingCodesTests(ITestOutputHelper output)
{
    public static TheoryData<int, int, int, int, int, ElementType, bool, QkFormat, QuantGranularity> Cases => new()
    {
        { 4, 16, 16, 2048, 128, ElementType.Float16, true, QkFormat.Int8, QuantGranularity.PerThread },
        { 2, 8, 4, 2048, 64, ElementType.BFloat16, false, QkFormat.Int8, QuantGranularity.PerThread },
        { 2, 6, 2, 1000, 128, ElementType.BFloat16, true, QkFormat.Int4, QuantGranularity.PerThread },
        { 1, 4, 4, 100, 64, ElementType.Float16, true, QkFormat.Int8, QuantGranularity.PerBlock },
        { 2, 3, 3, 129, 128, ElementType.Float16, false, QkFormat.Int8, QuantGranularity.PerWarp },
        { 3, 4, 4, 700, 64, ElementType.Float16, true, QkFormat.Int4, QuantGranularity.PerBlock },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ring_writes_the_per_tile_bytes(int batch, int queryHeads, int keyValueHeads, int length, int headDim,
        ElementType inputType, bool quantizeQueries, QkFormat qkFormat, QuantGranularity granularity) =>
        RingBytes(TensorLayout.HND, batch, queryHeads, keyValueHeads, length, headDim, inputType, quantizeQueries, qkFormat, granularity);

    // NHD through the rank-3 maps: heads interleaved per token, GQA, ragged tails that cross into the next batch's tokens,
    // the last batch's boxes past the tensor's end (zero-filled, never read).
    public static TheoryData<int, int, int, int, int, ElementType, bool, QkFormat, QuantGranularity> NhdCases => new()
    {
        { 4, 16, 16, 2048, 128, ElementType.Float16, true, QkFormat.Int8, QuantGranularity.PerThread },
        { 2, 8, 4, 2048, 64, ElementType.BFloat16, false, QkFormat.Int8, QuantGranularity.PerWarp },
        { 2, 6, 2, 1000, 128, ElementType.BFloat16, true, QkFormat.Int4, QuantGranularity.PerThread },
        { 3, 4, 4, 129, 128, ElementType.Float16, true, QkFormat.Int8, QuantGranularity.PerBlock },
    };

    [Theory]
    [MemberData(nameof(NhdCases))]
    public void Ring_writes_the_per_tile_bytes_in_the_nhd_layout(int batch, int queryHeads, int keyValueHeads, int length, int headDim,
        ElementType inputType, bool quantizeQueries, QkFormat qkFormat, QuantGranularity granularity) =>
        RingBytes(TensorLayout.NHD, batch, queryHeads, keyValueHeads, length, headDim, inputType, quantizeQueries, qkFormat, granularity);

    private void RingBytes(TensorLayout layout, int batch, int queryHeads, int keyValueHeads, int length, int headDim,
        ElementType inputType, bool quantizeQueries, QkFormat qkFormat, QuantGranularity granularity)
    {
        var problem = new AttentionProblem(new AttentionShape(batch, queryHeads, keyValueHeads, length, length, headDim), layout, causal: false);
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.KChannelBias, inputType, seed: length + 31 * headDim);
        // The full K mean here (launch 1's statistics before the ring); the non-finite cases below take the default strided mean.
        Compare(problem, new SageOptions { QkFormat = qkFormat, Granularity = granularity, KeyMeanTokens = KeyMeanTokens.All }, inputs, quantizeQueries,
            layout == TensorLayout.NHD ? " NHD" : "");
    }

    [Theory]
    [InlineData(ElementType.Float16)]
    [InlineData(ElementType.BFloat16)]
    public void Ring_matches_with_non_finite_values(ElementType inputType)
    {
        var problem = new AttentionProblem(new AttentionShape(1, 2, 2, 700, 700, 64), TensorLayout.HND, causal: false);
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.Gaussian, inputType, seed: 23);
        Compare(problem, new SageOptions(), NonFiniteValues.Plant(problem, inputs, inputType), quantizeQueries: true, $" non-finite {inputType}");
    }

    private void Compare(AttentionProblem problem, SageOptions options, AttentionInputs inputs, bool quantizeQueries, string label)
    {
        Assert.True(GpuPreprocessor.OnePassValuesApply(problem.Shape, options, inputs.V.ElementType)); // every case takes V in one pass
        var aligned = new DeviceTensor(256, 1, inputs.V.ElementType);                                  // device buffers are 256-byte aligned
        Assert.True(GpuPreprocessor.RingCodesApply(problem, options, aligned, aligned, onePassValues: true)); // and the ring
        using var context = PreprocessingGpu.ContextOrSkip();
        using var preprocessor = new GpuPreprocessor(context);
        var (compared, mismatches) = PreprocessedBytes.CompareSchedules(context, preprocessor, problem, options, inputs, quantizeQueries,
            p => { p.ValuePassChoice = GpuPreprocessor.ValuePasses.One; p.CodesChoice = GpuPreprocessor.CodesSchedule.PerTile; },
            p => { p.ValuePassChoice = GpuPreprocessor.ValuePasses.One; p.CodesChoice = GpuPreprocessor.CodesSchedule.Ring; });
        var s = problem.Shape;
        string line = $"Ring vs per-tile launch 3{label}: B={s.Batch} Hq={s.QueryHeads} Hkv={s.KeyValueHeads} N={s.KeyLength} d{s.HeadDim} " +
                      $"{inputs.V.ElementType} {options.QkFormat} {options.Granularity} Q in launch 1={quantizeQueries} K mean {options.KeyMeanTokens}: {compared} bytes compared, {mismatches} mismatches";
        output.WriteLine(line);
        PreprocessingGpu.Report(line);
        Assert.Equal(0, mismatches);
    }
}
