namespace Sage.Cuda.Preprocessing;

/// <summary>
/// V after VSmoothing and VQuantization. <see cref="Codes"/>: E4M3 codes, channel-major [B, Hkv, d, PaddedLength] (the
/// K-major B operand of the FP8 P·V wgmma), padded tokens +0; within every 16-token group the tokens are stored in the
/// order of <see cref="PreprocessLayout.ValueCodePosition"/> (<see cref="PreprocessLayout.ValueCodesInTokenOrder"/> undoes
/// it). <see cref="Scales"/>: v_scale, [B, Hkv, d].
/// <see cref="Mean"/> (only with SmoothV): vmean, [B, Hkv, d], which the epilogue adds back.
/// </summary>
public sealed class QuantizedValues : IDisposable
{
    internal QuantizedValues(DeviceBuffer<byte> codes, DeviceBuffer<float> scales, DeviceBuffer<float>? mean, int paddedLength)
    {
        Codes = codes;
        Scales = scales;
        Mean = mean;
        PaddedLength = paddedLength;
    }

    public DeviceBuffer<byte> Codes { get; }
    public DeviceBuffer<float> Scales { get; }
    public DeviceBuffer<float>? Mean { get; }
    public int PaddedLength { get; }

    public void Dispose()
    {
        Codes.Dispose();
        Scales.Dispose();
        Mean?.Dispose();
    }
}
