using Sage.Reference;

namespace Sage.Accuracy.Tests.Emulation;

/// <summary>
/// Outlier keys: an attention sink (token 0's key of every key/value head multiplied by a factor, as the first token of
/// many language models carries keys far larger than the rest), or the same at several tokens. HND layout.
/// </summary>
internal static class AttentionSink
{
    public static AttentionInputs OnFirstKey(AttentionProblem problem, AttentionInputs inputs, float factor) =>
        OnKeys(problem, inputs, factor, [0]);

    /// <summary>Tokens 0, step, 2·step, … below <paramref name="length"/>.</summary>
    public static int[] Every(int step, int length) => [.. Enumerable.Range(0, (length + step - 1) / step).Select(i => i * step)];

    public static AttentionInputs OnKeys(AttentionProblem problem, AttentionInputs inputs, float factor, IReadOnlyList<int> tokens)
    {
        if (problem.Layout != TensorLayout.HND) throw new ArgumentException($"expected the HND layout, got {problem.Layout}", nameof(problem));
        var s = problem.Shape;
        int heads = s.Batch * s.KeyValueHeads, n = s.KeyLength, d = s.HeadDim;
        var k = inputs.K.ToSingleArray();
        for (int h = 0; h < heads; h++)
            foreach (int t in tokens)
            {
                if (t < 0 || t >= n) throw new ArgumentOutOfRangeException(nameof(tokens), t, $"a token of 0 … {n - 1}");
                for (int c = 0; c < d; c++) k[((long)h * n + t) * d + c] *= factor;
            }
        return inputs with { K = HostTensor.Create(inputs.K.ElementType, k, [.. inputs.K.Shape]) };
    }
}
