namespace Sage.Emulation.Planning;

/// <summary>
/// One candidate mode measured on one layer against the float64 reference. Metrics are NaN when the output held
/// NaN or infinity (see <see cref="Sage.Reference.AccuracyReport"/>); <see cref="Violations"/> then says so.
/// </summary>
/// <param name="Mode">The candidate's name (<see cref="PlanCandidate.Name"/>).</param>
/// <param name="CosineSimilarity">Cosine similarity with the reference.</param>
/// <param name="RelativeL1">Σ|O−R| / Σ|R|.</param>
/// <param name="Rmse">Root mean square error, in output units.</param>
/// <param name="MaxAbsError">Largest |O−R|.</param>
/// <param name="Compared">Output elements compared (the sampled rows × head dim × heads).</param>
/// <param name="Admitted">Whether the budget admits it.</param>
/// <param name="Violations">Every budget limit it breaks, empty when admitted.</param>
/// <param name="Seconds">Wall time of the emulation.</param>
public sealed record CandidateMeasurement(string Mode, double CosineSimilarity, double RelativeL1, double Rmse, double MaxAbsError,
    long Compared, bool Admitted, IReadOnlyList<string> Violations, double Seconds);
