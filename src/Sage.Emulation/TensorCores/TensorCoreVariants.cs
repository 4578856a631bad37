namespace Sage.Emulation.TensorCores;

/// <summary>
/// Every tensor-core variant the project models, by name. Parameters and verification status come from the
/// device probes recorded in docs/tensor-core-numerics.md and docs/results/tensor-cores-*.md.
/// </summary>
public static class TensorCoreVariants
{
    private const string H100Wgmma =
        "H100 80GB HBM3 (driver 580.159.04, CUDA 13.0, sm_90a QGMMA), 2026-11-25: fused dot-add of the 32 exact products and C aligned to the largest exponent, 13 bits kept (truncated), FP32 result truncated to 13 fraction bits / FP16 rounded to nearest-even; 0 mismatches in targeted probes and 2^20 random cases (+2^18 chained K=128)";
    private const string H100MmaSync =
        "H100 80GB HBM3 (driver 580.159.04, CUDA 13.0 ptxas), 2026-11-25: ptxas lowers FP8 mma.sync on sm_90 to F2FP (FP8→FP16) + two HMMA.16816 (k mod 4 in {0,1}, then {2,3}; 25 alignment bits, FP32 RZ / FP16 RNE) + FADD/HADD2 of C; 0 mismatches in targeted probes and 2^20 random cases";
    private const string H100Int8 =
        "H100 80GB HBM3 (driver 580.159.04, CUDA 13.0), 2026-11-25: exact products and sum, C added modulo 2^32 (no saturation); 0 mismatches in 2^20 random cases incl. wrap-around";
    private const string AdaLiterature =
        "literature only (Khattak & Mikaitis, arXiv 2512.07004 / 2510.15884; MMA-Sim): Ada sm_89 mma.sync FP8, two blocks of 16, C in the first block's alignment, 13 alignment bits, FP32 result truncated to 13 fraction bits; NOT measured on our hardware";

    /// <summary>
    /// H100 wgmma FP8 (QGMMA), measured: one block of 32 products + C, 13 alignment bits, FP32 result truncated to
    /// 13 fraction bits (the "FP22" accumulator), FP16 result rounded to nearest-even with overflow to ±inf.
    /// </summary>
    public static readonly Fp8DotParameters HopperFp8 = new(Fp8Datapath.FusedFp8, BlockSize: 32, AlignmentFractionBits: 13, Fp32OutputFractionBits: 13,
        Fp32NaNBits: 0x7FFF_FFFFu, Fp16NaNBits: 0x7FFF);

    /// <summary>
    /// H100 mma.sync FP8 (ptxas emulation through FP16 HMMA.16816): 25 alignment bits per HMMA, FP32 results
    /// truncated to 23 fraction bits (plain FP32 RZ), C added by FADD/HADD2.
    /// </summary>
    public static readonly Fp8DotParameters HopperMmaSyncFp8 = new(Fp8Datapath.Fp16HmmaEmulation, BlockSize: 32, AlignmentFractionBits: 25,
        Fp32OutputFractionBits: 23, Fp32NaNBits: 0x7FFF_FFFFu, Fp16NaNBits: 0x7FFF);

    /// <summary>Ada FP8 (literature): two blocks of 16 per k32 instruction.</summary>
    public static readonly Fp8DotParameters AdaFp8 = HopperFp8 with { BlockSize = 16 };

    private static readonly IDotProductModel[] s_all =
    [
        new Fp8FusedDotModel("wgmma.e4m3.f32", MmaInputFormat.E4M3, MmaAccumulator.Fp32, HopperFp8, true, H100Wgmma),
        new Fp8FusedDotModel("wgmma.e4m3.f16", MmaInputFormat.E4M3, MmaAccumulator.Fp16, HopperFp8, true, H100Wgmma),
        new Fp8FusedDotModel("wgmma.e5m2.f32", MmaInputFormat.E5M2, MmaAccumulator.Fp32, HopperFp8, true, H100Wgmma),
        new Fp8FusedDotModel("wgmma.e5m2.f16", MmaInputFormat.E5M2, MmaAccumulator.Fp16, HopperFp8, true, H100Wgmma),
        new Fp8FusedDotModel("mma.m16n8k32.e4m3.f32", MmaInputFormat.E4M3, MmaAccumulator.Fp32, HopperMmaSyncFp8, true, H100MmaSync),
        new Fp8FusedDotModel("mma.m16n8k32.e4m3.f16", MmaInputFormat.E4M3, MmaAccumulator.Fp16, HopperMmaSyncFp8, true, H100MmaSync),
        new Fp8FusedDotModel("mma.m16n8k32.e5m2.f32", MmaInputFormat.E5M2, MmaAccumulator.Fp32, HopperMmaSyncFp8, true, H100MmaSync),
        new Fp8FusedDotModel("mma.m16n8k32.e5m2.f16", MmaInputFormat.E5M2, MmaAccumulator.Fp16, HopperMmaSyncFp8, true, H100MmaSync),
        new Int8DotModel("wgmma.s8.s32", true, H100Int8),
        new Int8DotModel("mma.m16n8k32.s8.s32", true, H100Int8),
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
