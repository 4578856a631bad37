namespace Sage.Cuda;

/// <summary>A CUDA device as the driver describes it.</summary>
/// <param name="Ordinal">The driver's device index (after CUDA_VISIBLE_DEVICES).</param>
/// <param name="Name">Marketing name, e.g. "NVIDIA H100 80GB HBM3".</param>
/// <param name="Major">Compute capability major.</param>
/// <param name="Minor">Compute capability minor.</param>
/// <param name="MultiprocessorCount">Streaming multiprocessors.</param>
/// <param name="TotalMemoryBytes">Device memory.</param>
/// <param name="DriverVersion">The CUDA version the driver implements, e.g. "13.0".</param>
public sealed record CudaDeviceInfo(
    int Ordinal, string Name, int Major, int Minor, int MultiprocessorCount, long TotalMemoryBytes, string DriverVersion)
{
    /// <summary>
    /// The NVRTC target for this device's own machine code: "sm_89" on Ada, and from Hopper on the
    /// architecture-specific 'a' variant ("sm_90a", "sm_100a"), without which wgmma, setmaxnreg and the
    /// other architecture-specific instructions do not compile. Code built for an 'a' target runs only on
    /// that exact compute capability, which is what a runtime compile for the present device wants.
    /// </summary>
    public string Architecture => ArchitectureFor(Major, Minor);

    /// <summary>The numeric architecture, e.g. 90 for 9.0.</summary>
    public int ArchitectureNumber => Major * 10 + Minor;

    /// <summary>Largest dynamic shared memory a block can opt into (cuFuncSetAttribute), in bytes.</summary>
    public int MaxSharedMemoryPerBlockOptIn { get; init; }

    internal static string ArchitectureFor(int major, int minor) =>
        major >= 9 ? $"sm_{major}{minor}a" : $"sm_{major}{minor}";
}
