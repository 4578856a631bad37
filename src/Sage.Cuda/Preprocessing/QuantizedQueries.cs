namespace Sage.Cuda.Preprocessing;

/// <summary>
/// Q after QSmoothing and QkQuantization. <see cref="Values"/>: [B, Hq, PaddedLength, row bytes] (INT8: d bytes;
/// INT4: d/2 bytes, element 2m in bits 3..0 and 2m+1 in bits 7..4), padded rows 0. <see cref="Scales"/>:
/// [B, Hq, GroupCount], the stored q_scale = (amax ⊘ qmax) ⊗ LOG2E_SCALE. <see cref="Means"/> (only with SmoothQ):
/// [B, Hq, ⌈Nq/64⌉, d], the block means ΔS is formed from.
/// </summary>
public sealed class QuantizedQueries : IDisposable
{
    internal QuantizedQueries(DeviceBuffer<sbyte> values, DeviceBuffer<float> scales, DeviceBuffer<float>? means,
        int paddedLength, int groupCount)
    {
        Values = values;
        Scales = scales;
        Means = means;
        PaddedLength = paddedLength;
        GroupCount = groupCount;
    }

    public DeviceBuffer<sbyte> Values { get; }
    public DeviceBuffer<float> Scales { get; }
    public DeviceBuffer<float>? Means { get; }
    public int PaddedLength { get; }
    public int GroupCount { get; }

    public void Dispose()
    {
        Values.Dispose();
        Scales.Dispose();
        Means?.Dispose();
    }
}
