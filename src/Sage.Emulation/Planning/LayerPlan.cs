namespace Sage.Emulation.Planning;

/// <summary>The planner's decision for one layer, with everything it measured to get there.</summary>
/// <param name="Name">Layer name, as in the calibration set.</param>
/// <param name="Shape">The layer's attention shape, for the report.</param>
/// <param name="Causal">Whether the layer's problem is causal.</param>
/// <param name="Mode">Name of the chosen candidate (<see cref="ModeSpeeds"/>).</param>
/// <param name="Options">The chosen Sage options; null when the layer falls back to full-precision attention.</param>
/// <param name="SampledRowsPerHead">Query rows per (batch, head) that were evaluated.</param>
/// <param name="QueryLength">All query rows per (batch, head).</param>
/// <param name="Measurements">Every candidate measured, fastest first (the planner stops at the first admitted one
/// unless asked to measure all).</param>
public sealed record LayerPlan(string Name, PlannedShape Shape, bool Causal, string Mode, PlannedOptions? Options,
    int SampledRowsPerHead, int QueryLength, IReadOnlyList<CandidateMeasurement> Measurements)
{
    /// <summary>Seconds spent on the float64 reference of the evaluated rows (computed once, shared by every candidate);
    /// 0 in plans written before it was recorded.</summary>
    public double ReferenceSeconds { get; init; }

    /// <summary>True when no quantised mode fits the budget and the layer runs full-precision attention.</summary>
    public bool FullPrecision => Options is null;
}

/// <summary>The sizes of a layer's attention problem, as a plan file stores them.</summary>
public sealed record PlannedShape(int Batch, int QueryHeads, int KeyValueHeads, int QueryLength, int KeyLength, int HeadDim)
{
    public static PlannedShape From(AttentionShape s) => new(s.Batch, s.QueryHeads, s.KeyValueHeads, s.QueryLength, s.KeyLength, s.HeadDim);

    public override string ToString() => $"B={Batch} Hq={QueryHeads} Hkv={KeyValueHeads} Nq={QueryLength} Nk={KeyLength} d={HeadDim}";
}
