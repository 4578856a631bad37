namespace Sage.Emulation.Tracing;

/// <summary>Which (batch, query head, 128-row query tile) <see cref="EmulatedAttention.Trace"/> records.</summary>
public readonly record struct TraceSelection(int Batch, int QueryHead, int QueryTile);
