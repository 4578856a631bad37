namespace Sage.Cuda.Preprocessing;

// The fused path's schedule switches (environment variables read at construction; tests set the properties) and the
// rules that pick a schedule per call. Every schedule gives the same bytes.
public sealed partial class GpuPreprocessor
{
    /// <summary>The settable switches as they stand now (the key of a replayed call includes them).</summary>
    internal PreprocessSchedules Schedules =>
        new(FinishLaunch, DependentCodes, QueriesInRing, SplitStatistics, ValuePassChoice, CodesChoice, RingCtaLimit);

    /// <summary>
    /// Environment variable: "launch" runs the fused path's finish (means, V scales) as launch 2, as before session 21;
    /// unset, empty or "first" lets launch 1's statistics CTAs finish each head as it completes. Both give the same bits.
    /// </summary>
    public const string FinishEnvironmentVariable = "SAGE_PREPROCESS_FINISH";

    /// <summary>True: the finish runs as launch 2 (<see cref="FinishEnvironmentVariable"/> = "launch"; tests set it).</summary>
    internal bool FinishLaunch { get; set; } = FinishLaunchSelected(Environment.GetEnvironmentVariable(FinishEnvironmentVariable));

    internal static bool FinishLaunchSelected(string? value) =>
        ScheduleSwitch.Select(FinishEnvironmentVariable, value, ("first", false), ("launch", true));

    /// <summary>
    /// Environment variable: "0" queues launch 3 (the K and V codes, per tile or as the ring) as an ordinary launch; unset, empty or "1" queues it
    /// as a programmatic dependent of launch 1 whenever launch 1 is the kernel right before it (no launch 2) and holds
    /// statistics CTAs only (Q quantised by the main loop): launch 3's CTAs then fill the SMs that launch 1 leaves idle
    /// and load their K/V rows, and wait (<c>griddepcontrol.wait</c>) for launch 1's means and scales only before they
    /// use them. Both give the same bits. (Beside launch 1's Q blocks it was 3-4 % slower per tile, session 27, and −1.4 to
    /// +0.6 % as the ring, session 35, so it is not queued so there.)
    /// </summary>
    public const string DependentCodesEnvironmentVariable = "SAGE_PREPROCESS_PDL";

    /// <summary>True: launch 3 is a programmatic dependent launch after launch 1 (<see cref="DependentCodesEnvironmentVariable"/>).</summary>
    internal bool DependentCodes { get; set; } = DependentCodesSelected(Environment.GetEnvironmentVariable(DependentCodesEnvironmentVariable));

    internal static bool DependentCodesSelected(string? value) =>
        ScheduleSwitch.Select(DependentCodesEnvironmentVariable, value, ("1", true), ("0", false));

    /// <summary>
    /// Environment variable: unset, empty or "1" lets the codes ring quantise Q too where it applies (SmoothK's strided
    /// sample with V in one pass, no SmoothQ: <see cref="RingQueriesApply"/>), in place of launch 1: the trimmed mean
    /// first, then the ring as its programmatic dependent, its Q items first, then V's, then the K tiles, which alone wait
    /// for the mean. "0": launch 1's Q blocks beside the mean, then the ring. The same arithmetic (query_blocks'), the same
    /// bytes (RingQueriesTests). Session 42, 2K d = 128 on the H100: pre-processing 0.150 → 0.143 ms, e2e +1.5 to +3.0 %
    /// in two A/B runs of three rounds (the ring reaches 2.6 TB/s over Q, K and V; launch 1's Q blocks reached 2.17).
    /// </summary>
    public const string QueriesInRingEnvironmentVariable = "SAGE_PREPROCESS_Q_RING";

    /// <summary>True: the ring quantises Q where it applies (<see cref="QueriesInRingEnvironmentVariable"/>).</summary>
    internal bool QueriesInRing { get; set; } = QueriesInRingSelected(Environment.GetEnvironmentVariable(QueriesInRingEnvironmentVariable));

    internal static bool QueriesInRingSelected(string? value) =>
        ScheduleSwitch.Select(QueriesInRingEnvironmentVariable, value, ("1", true), ("0", false));

    /// <summary>
    /// Environment variable: unset, empty or "split" gives launch 1's statistics two threads per item with SmoothK, one for
    /// the K chunk sums and one for the V statistics, each loading twice as many of its rows ahead (preprocess_fused.cu,
    /// 1a'); "joint" keeps one thread per item for both. Same arithmetic, same bits (SplitStatisticsTests). H100, session 28
    /// (docs/results/gpu-run-session28-2026-11-27.md): launch 1 at 2K d = 128 101 → 92 µs; the pre-processing 6-14 % faster
    /// at 2K d = 64, from 3 % faster to 1.6 % slower elsewhere (2K-16K, both head dims).
    /// </summary>
    public const string StatisticsEnvironmentVariable = "SAGE_PREPROCESS_STATS";

    /// <summary>True: the split statistics whenever SmoothK is on (<see cref="StatisticsEnvironmentVariable"/>).</summary>
    internal bool SplitStatistics { get; set; } = SplitStatisticsSelected(Environment.GetEnvironmentVariable(StatisticsEnvironmentVariable));

    internal static bool SplitStatisticsSelected(string? value) =>
        ScheduleSwitch.Select(StatisticsEnvironmentVariable, value, ("split", true), ("joint", false));

    /// <summary>
    /// Environment variable: schedule macros of preprocess_fused.cu (SAGE_STATS_MIN_BLOCKS_D128, SAGE_QUANTIZE_MIN_BLOCKS_D64,
    /// SAGE_SPLIT_BATCH, SAGE_RING_TEAMS, ...) and key_smoothing.cu (SAGE_TRIM_PACKED_KEYS) for A/B runs, in
    /// <see cref="KernelDefines"/>' syntax; read at construction. Kept apart from
    /// <see cref="KernelDefines.EnvironmentVariable"/> so that probing the pre-processing does not recompile the main loop.
    /// </summary>
    public const string DefinesEnvironmentVariable = "SAGE_PREPROCESS_DEFINES";

    /// <summary>
    /// Environment variable choosing how often V is read. "one-pass": V's scales and codes from one read wherever that
    /// applies (<see cref="OnePassValuesApply"/>: launch 3's value_onepass, one CTA per key/value head and 8 channels
    /// holding all the head's tokens in registers; launch 1 then forms the K sums alone); "two-pass": V read in launch 1
    /// (minima, maxima) and again in launch 3 (codes); unset, empty or "auto": one pass at head dim 128 only, and at
    /// either head dim with SmoothK's strided sample (<see cref="KeyMeanTokens.Strided"/>: launch 1 then forms no statistics,
    /// the sample's trimmed mean coming from its own kernel; with two passes it was 5 % slower than the full mean at 2K
    /// d = 64, session 34). Same
    /// arithmetic, same bits (OnePassValuesTests). H100, session 28 (docs/results/gpu-run-session28-2026-11-27.md): end
    /// to end +0.2 to +3.1 % at 1K-2K, d = 128, in two calls; at d = 64 from −4.6 to +4.3 %, so d = 64 keeps two passes.
    /// Against session 29's faster two-pass kernel (session 30): d = 64 −3.3 % (2K), −2.7 % (2K causal), 16K within ±0.2 %.
    /// </summary>
    public const string ValuePassesEnvironmentVariable = "SAGE_PREPROCESS_V";

    internal enum ValuePasses { Auto, One, Two }

    /// <summary>The choice of this instance (<see cref="ValuePassesEnvironmentVariable"/>; tests set it).</summary>
    internal ValuePasses ValuePassChoice { get; set; } = ValuePassesSelected(Environment.GetEnvironmentVariable(ValuePassesEnvironmentVariable));

    internal static ValuePasses ValuePassesSelected(string? value) => ScheduleSwitch.Select(ValuePassesEnvironmentVariable, value,
        ("auto", ValuePasses.Auto), ("one-pass", ValuePasses.One), ("two-pass", ValuePasses.Two));

    /// <summary>Whether a call reads V once: where it applies, and by <paramref name="choice"/> (auto: head dim 128).</summary>
    internal static bool ReadsValuesOnce(ValuePasses choice, AttentionShape shape, SageOptions options, ElementType inputType) =>
        choice != ValuePasses.Two && OnePassValuesApply(shape, options, inputType) && (choice == ValuePasses.One || shape.HeadDim == 128);

    /// <summary>Longest padded key length whose V one CTA holds in registers (SAGE_ONEPASS_TOKENS of preprocess_fused.cu).</summary>
    internal const int OnePassValuesMaxPaddedLength = 2048;

    /// <summary>
    /// Whether V can go in one pass: SmoothK on (launch 1 then still has statistics CTAs, whose completing CTA finishes
    /// the K means) and SmoothV off (V's statistics are then minima and maxima, which need no order), 16-bit inputs (an
    /// FP32 row chunk would double the registers), and at most <see cref="OnePassValuesMaxPaddedLength"/> padded tokens.
    /// </summary>
    internal static bool OnePassValuesApply(AttentionShape shape, SageOptions options, ElementType inputType) =>
        options.SmoothK && !options.SmoothV && inputType != ElementType.Float32 && shape.KeyLength > 0 &&
        PreprocessLayout.PaddedKeyLength(shape.KeyLength) <= OnePassValuesMaxPaddedLength;

    /// <summary>What launch 1's statistics CTAs form (its statsLayout argument, preprocess_fused.cu 1a / 1a').</summary>
    /// <remarks>The values are SAGE_STATS_JOINT, _SPLIT and _KEYS_ONLY of preprocess_fused.cu.</remarks>
    private enum StatisticsLayout
    {
        /// <summary>One thread per item for K and V (tile_stats).</summary>
        Joint = 0,

        /// <summary>Two threads per item: the K sums and the V statistics (tile_key_sums, tile_value_stats).</summary>
        Split = 1,

        /// <summary>The K sums alone, one thread per item; V goes in one pass in launch 3 (value_onepass).</summary>
        KeysOnly = 2,
    }
}
