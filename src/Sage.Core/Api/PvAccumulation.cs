namespace Sage;

/// <summary>How the FP8 P·V products are accumulated.</summary>
public enum PvAccumulation
{
    /// <summary>Straight into the tensor core's FP32 accumulator (13 fraction bits kept: "FP22").</summary>
    Fp32,

    /// <summary>A fresh FP32 tensor-core accumulator per K block, added in true FP32 on the CUDA cores.</summary>
    Fp32TwoLevel,

    /// <summary>A fresh FP16 tensor-core accumulator per K block, added in FP32 (SageAttention2++).</summary>
    Fp16TwoLevel,
}
