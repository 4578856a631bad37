using Sage.Cuda;
using Sage.Cuda.Preprocessing;
using Sage.Reference;
using Xunit;

namespace Sage.Gpu.Tests.Preprocessing;

/// <summary>
/// The single launch (GpuPreprocessor.KeyPassChoice One: preprocess_single, K and V each read once, one CTA per key/value
/// head and 8 channels, the K CTAs of a head meeting once for the tile maxima) must write the bytes of the two-launch
/// schedule with K and V in two passes: K means, scales and codes, V scales and codes, Q codes and scales. One tile and
/// ragged tails (Nk = 1, 100, 129, 1000), the longest length it takes (2048), both head dims, both 16-bit types and
/// layouts, GQA, INT4, every granularity, Q in the launch or left to the main loop, more heads than the GPU holds CTAs at
/// once (the ticket order of the meeting), and non-finite and huge K values.
/// </summary>
public sealed class OnePassKeysTests(ITestOutputHelper output)
{
    public static TheoryData<int, int, int, int, int, ElementType, TensorLayout, bool, QkFormat, QuantGranularity> Cases => new()
    {
        { 4, 16, 16, 2048, 128, ElementType.Float16, TensorLayout.NHD, true, QkFormat.Int8, QuantGranularity.PerThread },
        { 4, 16, 8, 2048, 64, ElementType.BFloat16, TensorLayout.HND, false, QkFormat.Int8, QuantGranularity.PerThread },
        { 2, 6, 2, 1000, 128, ElementType.BFloat16, TensorLayout.NHD, true, QkFormat.Int4, QuantGranularity.PerThread },
        { 1, 4, 4, 1, 64, ElementType.Float16, TensorLayout.HND, true, QkFormat.Int8, QuantGranularity.PerBlock },
        { 2, 3, 3, 100, 128, ElementType.Float16, TensorLayout.HND, false, QkFormat.Int8, QuantGranularity.PerWarp },
        { 1, 8, 4, 129, 64, ElementType.Float16, TensorLayout.NHD, false, QkFormat.Int4, QuantGranularity.PerThread },
        { 2, 5, 5, 1500, 128, ElementType.BFloat16, TensorLayout.HND, true, QkFormat.Int8, QuantGranularity.PerBlock },
        { 8, 40, 40, 1920, 128, ElementType.Float16, TensorLayout.HND, true, QkFormat.Int8, QuantGranularity.PerThread }, // 5120 K CTAs
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void One_launch_writes_the_two_pass_bytes(int batch, int queryHeads, int keyValueHeads, int length, int headDim,
        ElementType inputType, TensorLayout layout, bool quantizeQueries, QkFormat qkFormat, QuantGranularity granularity)
    {
        var problem = new AttentionProblem(new AttentionShape(batch, queryHeads, keyValueHeads, length, length, headDim), layout, causal: false);
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.KChannelBias, inputType, seed: length + 13 * headDim + batch);
        Compare(problem, new SageOptions { QkFormat = qkFormat, Granularity = granularity }, inputs, quantizeQueries, "");
    }

    [Theory]
    [InlineData(ElementType.Float16)]
    [InlineData(ElementType.BFloat16)]
    public void One_launch_matches_with_non_finite_keys(ElementType inputType)
    {
        var problem = new AttentionProblem(new AttentionShape(1, 3, 3, 700, 700, 128), TensorLayout.NHD, causal: false);
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.KChannelBias, inputType, seed: 23);
        var s = problem.Shape;
        float[] keys = inputs.K.ToSingleArray();
        int Index(int h, int t, int c) => (t * s.KeyValueHeads + h) * s.HeadDim + c; // NHD
        keys[Index(0, 3, 1)] = float.NaN;                   // one NaN: channel 1's mean is NaN, so are its codes' inputs
        keys[Index(0, 300, 2)] = float.PositiveInfinity;    // its tile's maximum is +∞: scale +∞, the tile's codes 0 or NaN → 0
        keys[Index(1, 650, 3)] = float.NegativeInfinity;
        for (int t = 0; t < 700; t++) keys[Index(1, t, 9)] = float.NaN; // a channel all NaN
        keys[Index(2, 10, 20)] = 60000f;                    // a huge magnitude: its tile's scale
        keys[Index(2, 129, 21)] = -65504f;
        float[] values = inputs.V.ToSingleArray();
        values[Index(2, 5, 7)] = float.NaN;
        var k = HostTensor.Create(inputType, keys, [.. inputs.K.Shape]);
        var v = HostTensor.Create(inputType, values, [.. inputs.V.Shape]);
        Compare(problem, new SageOptions(), inputs with { K = k, V = v }, quantizeQueries: true, $" non-finite {inputType}");
    }

    private void Compare(AttentionProblem problem, SageOptions options, AttentionInputs inputs, bool quantizeQueries, string label)
    {
        Assert.True(GpuPreprocessor.OnePassKeysApply(problem.Shape, options, inputs.K.ElementType)); // every case takes the single launch
        using var context = PreprocessingGpu.ContextOrSkip();
        using var preprocessor = new GpuPreprocessor(context);
        var (compared, mismatches) = PreprocessedBytes.CompareSchedules(context, preprocessor, problem, options, inputs, quantizeQueries,
            p => (p.KeyPassChoice, p.ValuePassChoice) = (GpuPreprocessor.InputPasses.Two, GpuPreprocessor.InputPasses.Two),
            p => (p.KeyPassChoice, p.ValuePassChoice) = (GpuPreprocessor.InputPasses.One, GpuPreprocessor.InputPasses.Auto));
        var s = problem.Shape;
        string line = $"One launch vs two-pass K and V{label}: B={s.Batch} Hq={s.QueryHeads} Hkv={s.KeyValueHeads} N={s.KeyLength} d{s.HeadDim} " +
                      $"{inputs.K.ElementType} {problem.Layout} {options.QkFormat} {options.Granularity} Q in launch={quantizeQueries}: " +
                      $"{compared} bytes compared, {mismatches} mismatches";
        output.WriteLine(line);
        PreprocessingGpu.Report(line);
        Assert.Equal(0, mismatches);
    }
}
