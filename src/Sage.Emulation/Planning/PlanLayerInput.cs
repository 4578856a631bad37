namespace Sage.Emulation.Planning;

/// <summary>One layer to plan: its name, attention problem and calibration Q, K, V.</summary>
public sealed record PlanLayerInput(string Name, AttentionProblem Problem, HostTensor Q, HostTensor K, HostTensor V);
