namespace Sage.Cli.Verification;

/// <summary>
/// Emulator vs CUDA backend for one (data set, mode): the number of output and LSE elements whose bits differ.
/// <paramref name="Skipped"/> holds why the pair was not run on the GPU (an option the CUDA backend does not offer: INT4 QK).
/// </summary>
public sealed record GpuComparison(long Compared, long Mismatches, double Milliseconds, string? Skipped)
{
    public bool Passed => Skipped is not null || Mismatches == 0;

    /// <summary>Compares two results bit for bit: output elements as raw patterns, LSE floats by their bits.</summary>
    public static GpuComparison Compare(AttentionResult emulated, AttentionResult gpu, double milliseconds)
    {
        long compared = emulated.Output.Length, mismatches = 0;
        if (emulated.Output.ElementType != gpu.Output.ElementType || emulated.Output.Length != gpu.Output.Length)
            return new GpuComparison(compared, compared, milliseconds, null);
        if (emulated.Output.ElementType == ElementType.Float32)
        {
            var a = emulated.Output.Single; var b = gpu.Output.Single;
            for (int i = 0; i < a.Length; i++) if (BitConverter.SingleToUInt32Bits(a[i]) != BitConverter.SingleToUInt32Bits(b[i])) mismatches++;
        }
        else
        {
            var a = emulated.Output.Bits16; var b = gpu.Output.Bits16;
            for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) mismatches++;
        }
        if (emulated.Lse is { } le)
        {
            compared += le.Length;
            if (gpu.Lse is not { } lg || lg.Length != le.Length) mismatches += le.Length;
            else for (int i = 0; i < le.Length; i++) if (BitConverter.SingleToUInt32Bits(le[i]) != BitConverter.SingleToUInt32Bits(lg[i])) mismatches++;
        }
        return new GpuComparison(compared, mismatches, milliseconds, null);
    }
}
