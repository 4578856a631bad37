using Sage.Reference;

namespace Sage.Accuracy.Tests.Emulation;

/// <summary>
/// An attention sink in the keys: token 0's key of every key/value head multiplied by a factor, as the first token of
/// many language models carries keys far larger than the rest (the "attention sink"). HND layout.
/// </summary>
internal static class AttentionSink
{
    public static AttentionInputs OnFirstKey(AttentionProblem problem, AttentionInputs inputs, float factor)
    {
        if (problem.Layout != TensorLayout.HND) throw new ArgumentException($"expected the HND layout, got {problem.Layout}", nameof(problem));
        var s = problem.Shape;
        int heads = s.Batch * s.KeyValueHeads, n = s.KeyLength, d = s.HeadDim;
        var k = inputs.K.ToSingleArray();
        for (int h = 0; h < heads; h++)
            for (int c = 0; c < d; c++) k[(long)h * n * d + c] *= factor;
        return inputs with { K = HostTensor.Create(inputs.K.ElementType, k, [.. inputs.K.Shape]) };
    }
}
