namespace Sage.Cuda;

/// <summary>
/// How a <see cref="CudaAttention"/>'s device-level calls with query rows ran while <see cref="CudaAttention.GraphReplay"/>
/// was on: queued directly (first sightings and refused keys), captured and launched, or replayed; and how many captures
/// were refused, by the driver or for a workspace over <see cref="CudaAttention.GraphWorkspaceLimit"/> (those calls ran
/// directly, and are in <see cref="Direct"/> too).
/// </summary>
public readonly record struct GraphReplayCounts(long Direct, long Captured, long Replayed, long Refused);
