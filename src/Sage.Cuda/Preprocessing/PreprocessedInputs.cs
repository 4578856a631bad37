namespace Sage.Cuda.Preprocessing;

/// <summary>
/// Everything the attention main loop reads: quantised Q, K, V and their scales, and with SmoothQ the score correction
/// <see cref="DeltaS"/> ([B, Hq, PaddedLength(Q)/64, PaddedLength(K)] fp32, log2 units; docs/kernel-spec.md §2).
/// <see cref="Queries"/> is null when Q was left to the main loop, which then quantises each 64-row block in its CTA's
/// prologue with the same arithmetic (<c>quantizeQueries: false</c>, without SmoothQ). <see cref="LseDot"/>: for problems
/// that return the LSE with SmoothK, the correction's dot product Σ_c Q[i,c]·mean_c per query row ([B, Hq, Nq] binary64,
/// docs/kernel-spec.md §10), which the main loop's epilogue scales and adds; null otherwise. <c>storage</c>: the memory the
/// buffers are views into (the fused path's <see cref="DeviceArena"/>), released last; null when each buffer owns its own.
/// </summary>
public sealed class PreprocessedInputs(QuantizedQueries? queries, QuantizedKeys keys, QuantizedValues values, DeviceBuffer<float>? deltaS = null,
    DeviceBuffer<double>? lseDot = null, IDisposable? storage = null)
    : IDisposable
{
    public QuantizedQueries? Queries { get; } = queries;
    public QuantizedKeys Keys { get; } = keys;
    public QuantizedValues Values { get; } = values;
    public DeviceBuffer<float>? DeltaS { get; } = deltaS;
    public DeviceBuffer<double>? LseDot { get; } = lseDot;

    public void Dispose()
    {
        Queries?.Dispose();
        Keys.Dispose();
        Values.Dispose();
        DeltaS?.Dispose();
        LseDot?.Dispose();
        storage?.Dispose();
    }
}
