using Sage.Emulation.Mainloop;
using Sage.Emulation.TensorCores;

namespace Sage.Emulation;

/// <summary>
/// The tensor-core models the PV step uses: <c>wgmma.e4m3.f32</c> (Fp32, Fp32TwoLevel) and <c>wgmma.e4m3.f16</c>
/// (Fp16TwoLevel). <see cref="Measured"/> takes them from <see cref="TensorCoreVariants"/>; tests may inject others.
/// </summary>
public sealed class PvModelSet
{
    /// <param name="fp32Accumulator">The wgmma.e4m3.f32 model.</param>
    /// <param name="fp16Accumulator">The wgmma.e4m3.f16 model.</param>
    /// <param name="allowFastPath">False forces every PV step through the model itself (slow; for equivalence tests).</param>
    public PvModelSet(IDotProductModel fp32Accumulator, IDotProductModel fp16Accumulator, bool allowFastPath = true)
    {
        Fp32 = new PvMma(fp32Accumulator, MmaAccumulator.Fp32, allowFastPath);
        Fp16 = new PvMma(fp16Accumulator, MmaAccumulator.Fp16, allowFastPath);
    }

    public const string Fp32VariantName = "wgmma.e4m3.f32";
    public const string Fp16VariantName = "wgmma.e4m3.f16";

    /// <summary>The project's models of the H100's wgmma, by variant name.</summary>
    public static PvModelSet Measured(bool allowFastPath = true) =>
        new(TensorCoreVariants.Get(Fp32VariantName), TensorCoreVariants.Get(Fp16VariantName), allowFastPath);

    public PvMma Fp32 { get; }
    public PvMma Fp16 { get; }

    /// <summary>The model a PV accumulation mode runs on.</summary>
    public PvMma For(PvAccumulation mode) => mode == PvAccumulation.Fp16TwoLevel ? Fp16 : Fp32;
}
