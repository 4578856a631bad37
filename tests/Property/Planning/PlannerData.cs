using Sage.Emulation.Planning;
using Sage.Reference;

namespace Sage.Property.Tests.Planning;

/// <summary>Small seeded layers for planner tests (fast enough for every CI run).</summary>
internal static class PlannerData
{
    public static PlanLayerInput Layer(string name, DataFamily family, int seed, int length = 256, int headDim = 64,
        bool causal = false, TensorLayout layout = TensorLayout.HND, int queryHeads = 2, int keyValueHeads = 1, int? queryLength = null)
    {
        var problem = new AttentionProblem(new AttentionShape(1, queryHeads, keyValueHeads, queryLength ?? length, length, headDim), layout, causal);
        var inputs = SyntheticData.GenerateInputs(problem, family, ElementType.Float16, seed);
        return new PlanLayerInput(name, problem, inputs.Q, inputs.K, inputs.V);
    }

    /// <summary>Admits anything finite.</summary>
    public static AccuracyBudget Everything { get; } = new(-1.0, double.PositiveInfinity);

    /// <summary>Admits only an exact result: no quantised mode can meet it.</summary>
    public static AccuracyBudget Nothing { get; } = new(1.0, 0.0);
}
