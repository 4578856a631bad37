namespace Sage.Emulation.Planning;

/// <summary>Which backend a plan is meant for: it decides which modes the planner may offer.</summary>
public enum PlanTarget
{
    /// <summary>CudaAttention (the default): only modes the CUDA backend runs, ordered by the measured speed table. INT4 QK
    /// is not offered (Hopper has no INT4 tensor-core path; CudaAttention refuses it).</summary>
    Cuda,

    /// <summary>Accuracy studies on the emulator: the CUDA modes plus INT4 QK, marked emulator-only, with an estimated speed.</summary>
    Emulator,
}
