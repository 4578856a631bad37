using Sage.Reference;
using Xunit;

namespace Sage.Gpu.Tests.Attention;

/// <summary>
/// SmoothK's mean over a strided sample (<see cref="KeyMeanTokens.Strided"/>, docs/kernel-spec.md §1) through the whole
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
        int headDim, TensorLayout layout, bool causal, bool smoothQ, bool smoothV, PEncoding p)
    {
        var problem = new AttentionProblem(new AttentionShape(batch, queryHeads, keyValueHeads, queryLength, keyLength, headDim), layout,
            causal: causal, returnLse: true);
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.KChannelBias, ElementType.Float16, seed: keyLength + headDim);
        var options = new SageOptions { KeyMeanTokens = KeyMeanTokens.Strided, SmoothQ = smoothQ, SmoothV = smoothV, PEncoding = p };
        AttentionGpu.AssertMatchesEmulator(output, problem, inputs, options, $"strided K mean {problem.Shape} {layout}{(causal ? " causal" : "")} {options}");
    }
}
