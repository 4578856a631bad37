namespace Sage.Cuda;

/// <summary>What is missing when CUDA cannot be used.</summary>
public enum CudaComponent
{
    /// <summary>libcuda.so.1 (the NVIDIA driver) cannot be loaded or initialised.</summary>
    Driver,

    /// <summary>The driver works but sees no (or not the requested) GPU.</summary>
    Device,

    /// <summary>The runtime compiler libnvrtc.so* was not found.</summary>
    Nvrtc,

    /// <summary>The management library libnvidia-ml.so.1 (clocks and power for <see cref="Telemetry.DeviceTelemetry"/>) cannot be used.</summary>
    Nvml,

    /// <summary>cuobjdump (the CUDA Toolkit's binary utilities), which <see cref="SassDisassembler"/> runs.</summary>
    Disassembler,
}
