using Sage.Emulation.TensorCores;

namespace Sage.Emulation.Mainloop;

/// <summary>
/// The shape of a wgmma.e4m3 PV model that the fast PV paths (<see cref="Fp8PvFastPath"/>, <see cref="Fp8PvTileKernel"/>)
/// can reproduce: fused FP8 datapath, one 32-product block per k-step, and the constants they derive from it.
/// Anything else stays with the model itself.
/// </summary>
internal readonly record struct Fp8PvModelShape(Fp8FusedDotModel Model, int AlignmentBits, uint Fp32Mask, bool Fp16)
{
    /// <summary>2^(23 − alignment bits): A₀ = PinScale·2^E pins a running sum in the binade whose ulp is the truncation step.</summary>
    public float PinScale { get; } = MathF.Pow(2, 23 - AlignmentBits);

    /// <summary>The shape of <paramref name="model"/>, or null when it is not a supported E4M3 PV model whose alignment keeps
    /// at most <paramref name="maxAlignmentBits"/> fraction bits (the fast path's exactness envelope).</summary>
    public static Fp8PvModelShape? Of(IDotProductModel model, int maxAlignmentBits) =>
        model is Fp8FusedDotModel { Input: MmaInputFormat.E4M3, K: KernelTiling.PvKStep } m
        && m.Parameters.Datapath == Fp8Datapath.FusedFp8
        && m.Parameters.BlockSize == KernelTiling.PvKStep
        && m.Parameters.AlignmentFractionBits >= 1 && m.Parameters.AlignmentFractionBits <= maxAlignmentBits
        && m.Parameters.Fp32OutputFractionBits is >= 0 and <= 23
            ? new Fp8PvModelShape(m, m.Parameters.AlignmentFractionBits,
                ~((1u << (23 - m.Parameters.Fp32OutputFractionBits)) - 1u), m.Accumulator == MmaAccumulator.Fp16)
            : null;
}
