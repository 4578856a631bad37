namespace Sage.Reference;

/// <summary>Q, K and V for one attention problem.</summary>
public sealed record AttentionInputs(HostTensor Q, HostTensor K, HostTensor V);
