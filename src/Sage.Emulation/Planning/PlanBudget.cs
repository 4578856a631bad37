using Sage.Reference;

namespace Sage.Emulation.Planning;

/// <summary>An <see cref="AccuracyBudget"/> as a plan file stores it (nulls: limit not set).</summary>
public sealed record PlanBudget(double MinCosineSimilarity, double MaxRelativeL1, double? MaxRmse = null, double? MaxAbsError = null)
{
    public static PlanBudget From(AccuracyBudget budget)
    {
        ArgumentNullException.ThrowIfNull(budget);
        return new(budget.MinCosineSimilarity, budget.MaxRelativeL1, budget.MaxRmse, budget.MaxAbsError);
    }

    public AccuracyBudget ToAccuracyBudget() => new(MinCosineSimilarity, MaxRelativeL1, MaxRmse, MaxAbsError);
}
