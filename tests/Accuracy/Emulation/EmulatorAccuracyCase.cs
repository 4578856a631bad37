using System.Collections.Concurrent;
using Sage.Emulation;
using Sage.Reference;

namespace Sage.Accuracy.Tests.Emulation;

/// <summary>Runs the emulator and the float64 reference on one synthetic problem and compares them.</summary>
internal static class EmulatorAccuracyCase
{
    private static readonly EmulatedAttention Emulator = new();
    private static readonly ReferenceAttention Reference = new();
    private static readonly ConcurrentDictionary<(AttentionProblem, DataFamily, int), (AttentionInputs, ReferenceResult)> Cache = new();

    /// <summary>The standard problem of the accuracy tables: B=1, 2 heads, N=1024, d=128, FP16 inputs.</summary>
    public static AttentionProblem Standard { get; } = Problem(heads: 2, length: 1024);

    public static AccuracyReport Measure(AttentionProblem problem, DataFamily family, SageOptions options, int seed = 1)
    {
        var (inputs, expected) = Cache.GetOrAdd((problem, family, seed), key =>
        {
            var x = SyntheticData.GenerateInputs(key.Item1, key.Item2, ElementType.Float16, key.Item3);
            return (x, Reference.Compute(key.Item1, x.Q, x.K, x.V));
        });
        var actual = Emulator.Run(problem, inputs.Q, inputs.K, inputs.V, options with { OutputType = ElementType.Float32 });
        var report = AccuracyMetrics.Compare(expected, actual.Output);
        Xunit.TestContext.Current.TestOutputHelper?.WriteLine($"{family} {options}: {report}");
        return report;
    }

    public static AttentionProblem Problem(int heads, int length, int headDim = 128, bool causal = false) =>
        new(new AttentionShape(1, heads, heads, length, length, headDim), TensorLayout.HND, causal);
}
