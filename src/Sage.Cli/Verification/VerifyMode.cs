using Sage.Reference;

namespace Sage.Cli.Verification;

/// <summary>
/// A named quantised mode that `sage verify` runs, with the accuracy it is documented to reach (docs/kernel-spec.md
/// §12-§13, docs/accuracy-budget.md). <paramref name="Gating"/> false marks an experimental mode whose rows are
/// shown, with their verdict, but do not decide verify's exit code.
/// </summary>
/// <param name="Name">Short label for tables.</param>
/// <param name="Options">The emulated options.</param>
/// <param name="Budget">The budget on well-behaved data (Gaussian, channel-biased, causal).</param>
/// <param name="HeavyTailBudget">The budget on Student-t(3) data: with infinite kurtosis a rare outlier sets each
/// group's quantisation scale, so every INT8 mode keeps 2-3x the Gaussian error there (spec §13).</param>
/// <param name="Gating">False for experimental modes, whose verdict is shown but does not set the exit code.</param>
public sealed record VerifyMode(string Name, SageOptions Options, AccuracyBudget Budget, AccuracyBudget HeavyTailBudget, bool Gating = true)
{
    /// <summary>Per-thread INT8 on heavy tails (measured cosine 0.9974-0.9984, relative L1 0.048-0.054).</summary>
    public static AccuracyBudget PerThreadHeavyTail { get; } = new(0.996, 0.07);

    /// <summary>Per-warp scales: one Q scale for 16 rows instead of 2.</summary>
    public static AccuracyBudget PerWarpHeavyTail { get; } = new(0.993, 0.09);

    /// <summary>Per-block scales: one Q scale for 64 rows, one K scale for 128 tokens.</summary>
    public static AccuracyBudget PerBlockHeavyTail { get; } = new(0.99, 0.11);

    /// <summary>
    /// INT4 QK: 4 bits keep about 1/18 of the resolution of 8. Gaussian data reaches cosine ≈ 0.98; heavy tails
    /// fall to ≈ 0.82, so INT4 is experimental here and a per-layer choice for the planner, not a default.
    /// </summary>
    public static AccuracyBudget Int4Budget { get; } = new(0.97, 0.25);

    /// <summary>The budget this mode must meet on <paramref name="family"/>.</summary>
    public AccuracyBudget BudgetFor(DataFamily family) => family == DataFamily.HeavyTail ? HeavyTailBudget : Budget;

    /// <summary>The modes verify runs, the production one (SageAttention2++) first.</summary>
    public static IReadOnlyList<VerifyMode> All { get; } =
    [
        new("i8 thread f16x2 (SA2++)", new SageOptions { PvAccumulation = PvAccumulation.Fp16TwoLevel }, AccuracyBudget.Default, PerThreadHeavyTail),
        new("i8 thread f32x2", new SageOptions { PvAccumulation = PvAccumulation.Fp32TwoLevel }, AccuracyBudget.Default, PerThreadHeavyTail),
        new("i8 thread f32 (fp22)", new SageOptions { PvAccumulation = PvAccumulation.Fp32 }, AccuracyBudget.Default, PerThreadHeavyTail),
        // PEncoding.LogLinear (spec §7, "P encoding LogLinear"): P's codes read off their arguments, no exp2; the same budgets.
        new("i8 thread f16x2 log-linear P", new SageOptions { PEncoding = PEncoding.LogLinear }, AccuracyBudget.Default, PerThreadHeavyTail),
        new("i8 thread f32x2 log-linear P", new SageOptions { PvAccumulation = PvAccumulation.Fp32TwoLevel, PEncoding = PEncoding.LogLinear },
            AccuracyBudget.Default, PerThreadHeavyTail),
        // KeyMeanTokens.All (spec §1): SmoothK's mean over every token, SageAttention's and our default until session 40 (the
        // default is now the trimmed mean of 128 strided tokens); the same budgets (the choice moves only K's quantisation
        // error: the trimmed mean is within −0.2 to +1.3 % of its relative L1 at N = 2048, docs/accuracy-budget.md).
        new("i8 thread f16x2 full K mean", new SageOptions { KeyMeanTokens = KeyMeanTokens.All }, AccuracyBudget.Default, PerThreadHeavyTail),
        new("i8 thread+smoothQ f16x2", new SageOptions { SmoothQ = true }, AccuracyBudget.Default, PerThreadHeavyTail),
        new("i8 warp f16x2", new SageOptions { Granularity = QuantGranularity.PerWarp }, AccuracyBudget.Default, PerWarpHeavyTail),
        new("i8 block f16x2", new SageOptions { Granularity = QuantGranularity.PerBlock }, AccuracyBudget.Default, PerBlockHeavyTail),
        new("i4 thread f16x2", new SageOptions { QkFormat = QkFormat.Int4 }, Int4Budget, Int4Budget, Gating: false),
    ];
}
