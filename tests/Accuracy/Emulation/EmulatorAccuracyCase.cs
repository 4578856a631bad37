using Sage.Emulation;
using Sage.Reference;

namespace Sage.Accuracy.Tests.Emulation;

/// <summary>Runs the emulator and the float64 reference on one synthetic problem and compares them.</summary>
internal static class EmulatorAccuracyCase
{
    private static readonly EmulatedAttention Emulator = new();
    private static readonly ReferenceAttention Reference = new();

    public static AccuracyReport Measure(AttentionProblem problem, DataFamily family, SageOptions options, int seed = 1,
        ElementType inputType = ElementType.Float16)
    {
        var inputs = SyntheticData.GenerateInputs(problem, family, inputType, seed);
        var expected = Reference.Compute(problem, inputs.Q, inputs.K, inputs.V);
        var actual = Emulator.Run(problem, inputs.Q, inputs.K, inputs.V, options);
        return AccuracyMetrics.Compare(expected, actual.Output);
    }

    public static AttentionProblem Problem(int heads, int length, int headDim = 128, bool causal = false, int batch = 1) =>
        new(new AttentionShape(batch, heads, heads, length, length, headDim), TensorLayout.HND, causal);
}
