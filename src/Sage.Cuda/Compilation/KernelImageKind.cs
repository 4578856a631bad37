namespace Sage.Cuda;

/// <summary>What NVRTC produced.</summary>
public enum KernelImageKind
{
    /// <summary>Machine code for exactly one architecture (the normal case).</summary>
    Cubin = 1,

    /// <summary>PTX text, JIT-compiled by the driver at load; used when NVRTC is older than the device.</summary>
    Ptx = 2,
}
