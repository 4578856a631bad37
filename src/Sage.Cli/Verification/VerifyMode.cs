using Sage.Reference;

namespace Sage.Cli.Verification;

/// <summary>
/// A named quantised mode that `sage verify` runs, with the accuracy it is documented to reach on every built-in
/// data family (docs/accuracy-budget.md). <paramref name="Gating"/> false marks an experimental mode whose rows are
/// shown, with their verdict, but do not decide verify's exit code.
/// </summary>
public sealed record VerifyMode(string Name, SageOptions Options, AccuracyBudget Budget, bool Gating = true)
{
    /// <summary>Per-warp scales: one scale for 16 Q rows instead of 2, measurably worse on heavy-tailed data.</summary>
    public static AccuracyBudget PerWarpBudget { get; } = new(0.995, 0.08);

    /// <summary>Per-block scales: one scale for 64 Q rows / 128 K tokens.</summary>
    public static AccuracyBudget PerBlockBudget { get; } = new(0.993, 0.10);

    /// <summary>
    /// INT4 QK: 4 bits keep about 1/18 of the resolution of 8. Gaussian data reaches cosine ≈ 0.98; heavy tails
    /// do not, so INT4 is experimental here and a per-layer choice for the planner, not a default.
    /// </summary>
    public static AccuracyBudget Int4Budget { get; } = new(0.97, 0.25);

    /// <summary>The modes verify runs, the production one (SageAttention2++) first.</summary>
    public static IReadOnlyList<VerifyMode> All { get; } =
    [
        new("i8 thread f16x2 (SA2++)", new SageOptions { PvAccumulation = PvAccumulation.Fp16TwoLevel }, AccuracyBudget.Default),
        new("i8 thread f32x2", new SageOptions { PvAccumulation = PvAccumulation.Fp32TwoLevel }, AccuracyBudget.Default),
        new("i8 thread f32 (fp22)", new SageOptions { PvAccumulation = PvAccumulation.Fp32 }, AccuracyBudget.Default),
        new("i8 thread+smoothQ f16x2", new SageOptions { SmoothQ = true }, AccuracyBudget.Default),
        new("i8 warp f16x2", new SageOptions { Granularity = QuantGranularity.PerWarp }, PerWarpBudget),
        new("i8 block f16x2", new SageOptions { Granularity = QuantGranularity.PerBlock }, PerBlockBudget),
        new("i4 thread f16x2", new SageOptions { QkFormat = QkFormat.Int4 }, Int4Budget, Gating: false),
    ];
}
