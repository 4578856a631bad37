namespace Sage.Emulation.TensorCores;

/// <summary>
/// Every tensor-core variant the project models, by name. Parameters and verification status come from the
/// device probes recorded in docs/tensor-core-numerics.md and docs/results/tensor-cores-*.md.
/// </summary>
public static class TensorCoreVariants
{
    private const string H100Pending = "H100 lead (fused dot-add of 32 products + C, 13 alignment bits); awaiting device probes";
    private const string AdaLiterature =
        "literature only (Khattak & Mikaitis, arXiv 2512.07004 / 2510.15884; MMA-Sim): Ada sm_89 mma.sync FP8, two blocks of 16, C in the first block's alignment, 13 alignment bits, FP32 result truncated to 13 fraction bits; NOT measured on our hardware";

    /// <summary>H100 FP8 with FP32 accumulator: one block of 32 + C, 13 bits, result truncated to 13 fraction bits.</summary>
    public static readonly Fp8DotParameters HopperFp8 = new(BlockSize: 32, AlignmentFractionBits: 13, Fp32OutputFractionBits: 13,
        Fp32NaNBits: 0x7FFF_FFFFu, Fp16NaNBits: 0x7FFF);

    /// <summary>Ada FP8 (literature): two blocks of 16 per k32 instruction.</summary>
    public static readonly Fp8DotParameters AdaFp8 = HopperFp8 with { BlockSize = 16 };

    private static readonly IDotProductModel[] s_all =
    [
        new Fp8FusedDotModel("wgmma.e4m3.f32", MmaInputFormat.E4M3, MmaAccumulator.Fp32, HopperFp8, false, H100Pending),
        new Fp8FusedDotModel("wgmma.e4m3.f16", MmaInputFormat.E4M3, MmaAccumulator.Fp16, HopperFp8, false, H100Pending),
        new Fp8FusedDotModel("wgmma.e5m2.f32", MmaInputFormat.E5M2, MmaAccumulator.Fp32, HopperFp8, false, H100Pending),
        new Fp8FusedDotModel("wgmma.e5m2.f16", MmaInputFormat.E5M2, MmaAccumulator.Fp16, HopperFp8, false, H100Pending),
        new Fp8FusedDotModel("mma.m16n8k32.e4m3.f32", MmaInputFormat.E4M3, MmaAccumulator.Fp32, HopperFp8, false, H100Pending),
        new Fp8FusedDotModel("mma.m16n8k32.e4m3.f16", MmaInputFormat.E4M3, MmaAccumulator.Fp16, HopperFp8, false, H100Pending),
        new Fp8FusedDotModel("mma.m16n8k32.e5m2.f32", MmaInputFormat.E5M2, MmaAccumulator.Fp32, HopperFp8, false, H100Pending),
        new Fp8FusedDotModel("mma.m16n8k32.e5m2.f16", MmaInputFormat.E5M2, MmaAccumulator.Fp16, HopperFp8, false, H100Pending),
        new Int8DotModel("wgmma.s8.s32", false, "exact integer products and sum, C added modulo 2^32; awaiting device probes"),
        new Int8DotModel("mma.m16n8k32.s8.s32", false, "exact integer products and sum, C added modulo 2^32; awaiting device probes"),
        new Fp8FusedDotModel("ada.mma.e4m3.f32 (literature)", MmaInputFormat.E4M3, MmaAccumulator.Fp32, AdaFp8, false, AdaLiterature),
    ];

    /// <summary>All modelled variants.</summary>
    public static IReadOnlyList<IDotProductModel> All => s_all;

    /// <summary>The variant of that name; an unknown name throws an ArgumentException listing the valid ones.</summary>
    public static IDotProductModel Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var m in s_all) if (m.Name == name) return m;
        throw new ArgumentException($"unknown tensor-core variant '{name}'; valid: {string.Join(", ", s_all.Select(m => m.Name))}", nameof(name));
    }

    /// <summary>The FP8 variant of that name, for the fast byte-level API (<see cref="Fp8FusedDotModel.DotBytes"/>).</summary>
    public static Fp8FusedDotModel GetFp8(string name) =>
        Get(name) as Fp8FusedDotModel ?? throw new ArgumentException($"variant '{name}' is not an FP8 variant", nameof(name));
}
