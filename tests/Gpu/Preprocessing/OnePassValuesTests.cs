using Sage.Cuda;
using Sage.Cuda.Preprocessing;
using Sage.Reference;
using Xunit;

namespace Sage.Gpu.Tests.Preprocessing;

/// <summary>
/// V in one pass (GpuPreprocessor.ValuePasses.One: launch 3's value_onepass, one CTA per key/value head and 8 channels, with
/// launch 1 forming the K sums alone) must write the two-pass schedule's bytes: the V scales and codes, and everything
/// else unchanged (K means, scales and codes; Q). One tile and ragged tails (Nk = 1, 100, 129, 1000), the longest length
/// it takes (2048), both head dims, both 16-bit types and layouts, GQA, INT4 keys, launch 3 as a dependent of launch 1
/// (d = 64, Q left to the main loop), and non-finite values: NaN, ±∞, a channel whose values are all NaN in one tile (its
/// tile gives +∞ to the maximum, as finish_channel's sentinels do) and a channel all NaN everywhere.
/// </summary>
public sealed class OnePassValuesTests(ITestOutputHelper output)
{
    public static TheoryData<int, int, int, int, int, ElementType, TensorLayout, bool, QkFormat> Cases => new()
    {
        { 4, 16, 16, 2048, 128, ElementType.Float16, TensorLayout.NHD, true, QkFormat.Int8 },
        { 4, 16, 8, 2048, 64, ElementType.BFloat16, TensorLayout.HND, false, QkFormat.Int8 },
        { 2, 6, 2, 1000, 128, ElementType.BFloat16, TensorLayout.NHD, true, QkFormat.Int4 },
        { 1, 4, 4, 1, 64, ElementType.Float16, TensorLayout.HND, true, QkFormat.Int8 },
        { 2, 3, 3, 100, 128, ElementType.Float16, TensorLayout.HND, false, QkFormat.Int8 },
        { 1, 8, 4, 129, 64, ElementType.Float16, TensorLayout.NHD, false, QkFormat.Int4 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void One_pass_values_write_the_two_pass_bytes(int batch, int queryHeads, int keyValueHeads, int length, int headDim,
        ElementType inputType, TensorLayout layout, bool quantizeQueries, QkFormat qkFormat)
    {
        var problem = new AttentionProblem(new AttentionShape(batch, queryHeads, keyValueHeads, length, length, headDim), layout, causal: false);
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.KChannelBias, inputType, seed: length + 17 * headDim);
        // The full K mean here; the non-finite cases below take the default strided mean.
        Compare(problem, new SageOptions { QkFormat = qkFormat, KeyMeanTokens = KeyMeanTokens.All }, inputs, quantizeQueries, "");
    }

    [Theory]
    [InlineData(ElementType.Float16)]
    [InlineData(ElementType.BFloat16)]
    public void One_pass_values_match_with_non_finite_values(ElementType inputType)
    {
        var problem = new AttentionProblem(new AttentionShape(1, 2, 2, 700, 700, 64), TensorLayout.NHD, causal: false);
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.Gaussian, inputType, seed: 21);
        Compare(problem, new SageOptions(), NonFiniteValues.Plant(problem, inputs, inputType), quantizeQueries: true, $" non-finite {inputType}");
    }

    private void Compare(AttentionProblem problem, SageOptions options, AttentionInputs inputs, bool quantizeQueries, string label)
    {
        Assert.True(GpuPreprocessor.OnePassValuesApply(problem.Shape, options, inputs.V.ElementType)); // every case takes the one-pass V
        using var context = PreprocessingGpu.ContextOrSkip();
        using var preprocessor = new GpuPreprocessor(context);
        var (compared, mismatches) = PreprocessedBytes.CompareSchedules(context, preprocessor, problem, options, inputs, quantizeQueries,
            p => p.ValuePassChoice = GpuPreprocessor.ValuePasses.Two, p => p.ValuePassChoice = GpuPreprocessor.ValuePasses.One);
        var s = problem.Shape;
        string line = $"One-pass vs two-pass V{label}: B={s.Batch} Hq={s.QueryHeads} Hkv={s.KeyValueHeads} N={s.KeyLength} d{s.HeadDim} " +
                      $"{inputs.V.ElementType} {problem.Layout} {options.QkFormat} Q in launch 1={quantizeQueries} K mean {options.KeyMeanTokens}: {compared} bytes compared, {mismatches} mismatches";
        output.WriteLine(line);
        PreprocessingGpu.Report(line);
        Assert.Equal(0, mismatches);
    }
}
