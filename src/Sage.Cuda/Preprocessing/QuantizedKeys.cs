namespace Sage.Cuda.Preprocessing;

/// <summary>
/// K after KSmoothing and QkQuantization. <see cref="Values"/>: [B, Hkv, PaddedLength, row bytes] (as Q), padded
/// tokens 0. <see cref="Scales"/>: [B, Hkv, Tiles, 4] (PerThread: group t = lane of the quad, tokens with
/// (n mod 8)/2 = t) or [B, Hkv, Tiles]. <see cref="Mean"/>: [B, Hkv, d] (zeros without SmoothK; the LSE correction
/// needs it). <see cref="Smoothed"/> (only with SmoothQ, for ΔS): K̃ in fp32, [B, Hkv, Nk, d].
/// </summary>
public sealed class QuantizedKeys : IDisposable
{
    internal QuantizedKeys(DeviceBuffer<sbyte> values, DeviceBuffer<float> scales, DeviceBuffer<float> mean,
        DeviceBuffer<float>? smoothed, int paddedLength, int tiles)
    {
        Values = values;
        Scales = scales;
        Mean = mean;
        Smoothed = smoothed;
        PaddedLength = paddedLength;
        Tiles = tiles;
    }

    public DeviceBuffer<sbyte> Values { get; }
    public DeviceBuffer<float> Scales { get; }
    public DeviceBuffer<float> Mean { get; }
    public DeviceBuffer<float>? Smoothed { get; }
    public int PaddedLength { get; }
    public int Tiles { get; }

    public void Dispose()
    {
        Values.Dispose();
        Scales.Dispose();
        Mean.Dispose();
        Smoothed?.Dispose();
    }
}
