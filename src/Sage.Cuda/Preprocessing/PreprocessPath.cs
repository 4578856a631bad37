namespace Sage.Cuda.Preprocessing;

/// <summary>
/// How <see cref="GpuPreprocessor"/> launches the pre-processing of device tensors. All give the same bits
/// (docs/kernel-spec.md §1-§4; tests/Gpu/Preprocessing compares each against the emulator).
/// </summary>
public enum PreprocessPath
{
    /// <summary>Per-stage kernels (key_smoothing.cu, qk_quantize.cu, v_quantize.cu): eight launches and fills.</summary>
    Separate,

    /// <summary>
    /// preprocess_fused.cu: tile statistics + Q, means and V scales, K and V codes; K and V read twice from DRAM. Since
    /// session 21 the means and scales are formed inside the statistics launch, so it runs two launches (and a memset of
    /// per-head counters) unless SAGE_PREPROCESS_FINISH=launch; the name stays for compatibility.
    /// </summary>
    ThreeLaunches,
}
