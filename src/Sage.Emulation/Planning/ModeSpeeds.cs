namespace Sage.Emulation.Planning;

/// <summary>
/// The planner's candidate modes, fastest first, with their speeds relative to INT8 QK + FP32 two-level PV.
/// </summary>
/// <remarks>
/// <para>Source: the GPU anchors recorded on an H100 80GB HBM3 on 2026-11-25 (shared/notes/anchors.md, B=4, H=32,
/// d=128, FP16 inputs, N=8192 non-causal). Our own CUDA kernel has NOT been benchmarked yet; these figures are the
/// public SageAttention kernels', and the order is what the planner relies on, not the exact ratios.</para>
/// <list type="bullet">
/// <item>FP16 vs FP32 accumulation of P·V: public SA2++ mma.sync FP16-acc 335 TFLOPS vs SA2 mma.sync FP32-acc 283
/// (1.18x; 1.14x at N=2048, 1.21x at N=16384).</item>
/// <item>INT8 + FP32 two-level: the public SA2 Hopper wgmma kernel, 649 TFLOPS (the 1.0 of this table).</item>
/// <item>INT8 + FP32 single-level ("fp22"): not measured; the same tensor-core work as two-level minus one FADD per
/// block, so ranked equal in speed and placed after two-level because it is less accurate (ties go to accuracy).</item>
/// <item>INT4 QK: not measured on the H100 (Hopper has no INT4 wgmma); the papers report INT4 QK faster on Ada
/// (RTX 4090 SA2++ 4+8: 640 TFLOPS). Estimated slightly above INT8 + FP16 so that it is tried first.</item>
/// <item>Full precision: PyTorch SDPA flash (FlashAttention2) 347 TFLOPS, 0.53 of the table's 1.0.</item>
/// </list>
/// </remarks>
public static class ModeSpeeds
{
    private const string Anchors = "shared/notes/anchors.md (H100, N=8192, d=128, non-causal)";

    public static PlanCandidate Int4Fp16TwoLevel { get; } = new("int4-fp16x2",
        "INT4 per-thread QK, FP8 PV with FP16 two-level accumulation",
        new SageOptions { QkFormat = QkFormat.Int4, PvAccumulation = PvAccumulation.Fp16TwoLevel }, 1.25, false,
        "estimate: not measured on H100 (no INT4 wgmma); papers report INT4 QK faster on RTX 4090");

    public static PlanCandidate Int8Fp16TwoLevel { get; } = new("int8-fp16x2",
        "INT8 per-thread QK, FP8 PV with FP16 two-level accumulation (SageAttention2++)",
        new SageOptions { PvAccumulation = PvAccumulation.Fp16TwoLevel }, 1.18, true,
        $"{Anchors}: SA2++ mma.sync FP16-acc 335 / SA2 mma.sync FP32-acc 283 TFLOPS");

    public static PlanCandidate Int8Fp32TwoLevel { get; } = new("int8-fp32x2",
        "INT8 per-thread QK, FP8 PV with FP32 two-level accumulation",
        new SageOptions { PvAccumulation = PvAccumulation.Fp32TwoLevel }, 1.0, true,
        $"{Anchors}: public SA2 Hopper wgmma kernel 649 TFLOPS (reference speed 1.0)");

    public static PlanCandidate Int8Fp32 { get; } = new("int8-fp32",
        "INT8 per-thread QK, FP8 PV accumulated in the tensor core's FP32 (fp22) accumulator",
        new SageOptions { PvAccumulation = PvAccumulation.Fp32 }, 1.0, false,
        "not measured: same tensor-core work as two-level; ranked after it because it is less accurate");

    public static PlanCandidate FullPrecision { get; } = new("fp16-reference",
        "full-precision FP16 attention (no quantisation): the fallback", null, 347.0 / 649.0, true,
        $"{Anchors}: PyTorch SDPA flash (FA2) 347 TFLOPS");

    /// <summary>Every candidate, fastest first; the last is the full-precision fallback.</summary>
    public static IReadOnlyList<PlanCandidate> Candidates { get; } =
        [Int4Fp16TwoLevel, Int8Fp16TwoLevel, Int8Fp32TwoLevel, Int8Fp32, FullPrecision];

    /// <summary>The candidate of that name; an unknown name throws an ArgumentException listing the valid ones.</summary>
    public static PlanCandidate Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var c in Candidates) if (c.Name == name) return c;
        throw new ArgumentException($"Unknown mode '{name}'; valid: {string.Join(", ", Candidates.Select(c => c.Name))}.", nameof(name));
    }
}
