namespace Sage.Cuda;

/// <summary>
/// What to ask NVRTC for. The device's own architecture as a cubin when NVRTC knows it; otherwise PTX for
/// the newest virtual architecture NVRTC has that the device can run (the driver JIT-compiles it), which
/// loses the 'a' features (wgmma) but keeps portable kernels working on a device newer than the toolkit.
/// </summary>
internal readonly record struct KernelTarget(string Option, KernelImageKind Kind)
{
    public static KernelTarget Choose(string architecture, IReadOnlyList<int> supported, string nvrtcVersion)
    {
        int number = Parse(architecture);
        if (supported.Contains(number)) return new KernelTarget(architecture, KernelImageKind.Cubin);
        int[] older = [.. supported.Where(a => a <= number)];
        if (older.Length > 0) return new KernelTarget($"compute_{older.Max()}", KernelImageKind.Ptx);
        throw new CudaUnavailableException(
            CudaComponent.Nvrtc,
            $"NVRTC {nvrtcVersion} cannot target {architecture}: it supports sm_{string.Join(", sm_", supported)}",
            [$"NVRTC {nvrtcVersion} supported architectures"]);
    }

    /// <summary>"sm_90a" → 90, "sm_89" → 89, "sm_100a" → 100.</summary>
    internal static int Parse(string architecture)
    {
        ArgumentException.ThrowIfNullOrEmpty(architecture);
        var digits = architecture.StartsWith("sm_", StringComparison.Ordinal) ? architecture.AsSpan(3).TrimEnd("af") : default;
        if (digits.IsEmpty || !int.TryParse(digits, out int number))
            throw new ArgumentException($"architecture must look like sm_89, sm_90a or sm_100f, got '{architecture}'", nameof(architecture));
        return number;
    }
}
