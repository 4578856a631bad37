namespace Sage.Emulation.Planning;

/// <summary>
/// One mode the planner may choose for a layer. <paramref name="Options"/> is null for the full-precision fallback
/// (FP16 attention without quantisation), which is never emulated: it is what a layer gets when no quantised mode
/// fits the budget.
/// </summary>
/// <param name="Name">Short stable identifier used in plan files and on the command line ("int8-fp16x2").</param>
/// <param name="Description">What the mode does, for reports.</param>
/// <param name="Options">Sage options of the mode; null for the full-precision fallback.</param>
/// <param name="RelativeSpeed">Throughput relative to INT8 QK + FP32 two-level PV (1.0); see <see cref="ModeSpeeds"/>.</param>
/// <param name="SpeedMeasured">Whether <paramref name="RelativeSpeed"/> comes from a GPU measurement (else an estimate).</param>
/// <param name="SpeedSource">Where the speed figure comes from.</param>
public sealed record PlanCandidate(string Name, string Description, SageOptions? Options, double RelativeSpeed, bool SpeedMeasured,
    string SpeedSource)
{
    /// <summary>True for the full-precision fallback.</summary>
    public bool IsFallback => Options is null;
}
