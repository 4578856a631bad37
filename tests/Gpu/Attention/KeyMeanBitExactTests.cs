using Sage.Gpu.Tests.Preprocessing;
using Sage.Reference;
using Xunit;

namespace Sage.Gpu.Tests.Attention;

/// <summary>
/// SmoothK's mean over a strided sample (<see cref="KeyMeanTokens.Strided"/>, docs/kernel-spec.md §1, the default since
/// session 40) and over every token (<see cref="KeyMeanTokens.All"/>) through the whole
/// CUDA call against EmulatedAttention, every output and LSE bit: V in one pass (d = 128 up to 2048 tokens, the ring, both
/// layouts), V in two passes (d = 64, longer sequences, SmoothV) and with SmoothQ (ΔS reads K̃), causal and GQA.
/// The pre-processing's bytes per stage are in PreprocessingBitExactTests (its strided cases).
/// </summary>
public sealed class KeyMeanBitExactTests(ITestOutputHelper output)
{
    // LogLinear throughout: the P encoding is orthogonal to the K mean, and one main-loop module keeps the GPU run short.
    public static TheoryData<int, int, int, int, int, int, TensorLayout, bool, bool, bool, PEncoding> Cases => new()
    {
        // batch, query heads, key/value heads, Nq, Nk, d, layout, causal, SmoothQ, SmoothV, P encoding
        { 2, 4, 4, 2048, 2048, 128, TensorLayout.HND, true, false, false, PEncoding.LogLinear },
        { 1, 4, 2, 2048, 2048, 128, TensorLayout.NHD, false, false, false, PEncoding.LogLinear },
        { 1, 4, 2, 300, 1000, 64, TensorLayout.HND, true, false, false, PEncoding.LogLinear },
        { 1, 2, 2, 700, 3000, 128, TensorLayout.HND, false, true, true, PEncoding.LogLinear },
        { 2, 2, 1, 129, 255, 128, TensorLayout.NHD, true, false, false, PEncoding.LogLinear },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Strided_key_mean_matches_the_emulator_bit_for_bit(int batch, int queryHeads, int keyValueHeads, int queryLength, int keyLength,
        int headDim, TensorLayout layout, bool causal, bool smoothQ, bool smoothV, PEncoding p) =>
        AssertMatches(KeyMeanTokens.Strided, new AttentionShape(batch, queryHeads, keyValueHeads, queryLength, keyLength, headDim), layout,
            causal, smoothQ, smoothV, p);

    /// <summary>The same problems with the mean over every token (<see cref="KeyMeanTokens.All"/>, the default until session
    /// 40): launch 1's K statistics and their finish, which the strided default no longer runs.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Full_key_mean_matches_the_emulator_bit_for_bit(int batch, int queryHeads, int keyValueHeads, int queryLength, int keyLength,
        int headDim, TensorLayout layout, bool causal, bool smoothQ, bool smoothV, PEncoding p) =>
        AssertMatches(KeyMeanTokens.All, new AttentionShape(batch, queryHeads, keyValueHeads, queryLength, keyLength, headDim), layout,
            causal, smoothQ, smoothV, p);

    private void AssertMatches(KeyMeanTokens tokens, AttentionShape shape, TensorLayout layout, bool causal, bool smoothQ, bool smoothV, PEncoding p)
    {
        var problem = new AttentionProblem(shape, layout, causal: causal, returnLse: true);
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.KChannelBias, ElementType.Float16, seed: shape.KeyLength + shape.HeadDim);
        var options = new SageOptions { KeyMeanTokens = tokens, SmoothQ = smoothQ, SmoothV = smoothV, PEncoding = p };
        string mean = tokens == KeyMeanTokens.Strided ? "strided" : "full";
        AttentionGpu.AssertMatchesEmulator(output, problem, inputs, options, $"{mean} K mean {shape} {layout}{(causal ? " causal" : "")} {options}");
    }

    public static TheoryData<ElementType, int, TensorLayout> OutlierCases => new()
    {
        // input type, d, layout
        { ElementType.Float16, 128, TensorLayout.HND },
        { ElementType.BFloat16, 64, TensorLayout.NHD },
        { ElementType.Float32, 128, TensorLayout.NHD },
    };

    /// <summary>
    /// The trimmed sample mean's kernel (key_trimmed_sample_mean: a bitonic sort of totalOrder keys, §1) on keys that make
    /// the trim and the order matter: an attention sink on token 0 (× 300), outlier tokens every 256 (× 100, each in the
    /// sample), and a fifth of the elements exact zeros of both signs (ties, and −0 before +0).
    /// </summary>
    [Theory]
    [MemberData(nameof(OutlierCases))]
    public void Trimmed_key_mean_matches_the_emulator_on_outliers_ties_and_signed_zeros(ElementType type, int headDim, TensorLayout layout)
    {
        var problem = new AttentionProblem(new AttentionShape(2, 4, 2, 512, 2048, headDim), layout, causal: true, returnLse: true);
        var x = SyntheticData.GenerateInputs(problem, DataFamily.KChannelBias, type, seed: headDim + (int)type);
        var s = problem.Shape;
        var k = x.K.ToSingleArray();
        for (int b = 0; b < s.Batch; b++)
            for (int h = 0; h < s.KeyValueHeads; h++)
                for (int t = 0; t < s.KeyLength; t++)
                    for (int c = 0; c < headDim; c++)
                    {
                        long at = TokenOffset.Of(layout, s.KeyValueHeads, s.KeyLength, headDim, b, h, t) + c;
                        if (t == 0) k[at] *= 300f;
                        else if (t % 256 == 0) k[at] *= 100f;
                        else if ((t * 7 + c) % 5 == 0) k[at] = (t + c) % 2 == 0 ? 0f : -0f;
                    }
        var inputs = x with { K = HostTensor.Create(type, k, [.. x.K.Shape]) };
        var options = new SageOptions { KeyMeanTokens = KeyMeanTokens.Strided, PEncoding = PEncoding.LogLinear };
        AttentionGpu.AssertMatchesEmulator(output, problem, inputs, options, $"trimmed K mean, outliers and signed zeros, {type} d={headDim} {layout}");
    }
}
