namespace Sage.Emulation.Planning;

/// <summary>
/// The planner's candidate modes, fastest first, with their speeds relative to INT8 QK + FP32 two-level PV.
/// <see cref="Candidates"/> (the planner's default) comes from our own kernel's measured per-mode benchmark
/// (<see cref="ModeSpeedTable.Recorded"/>, `sage bench --modes all`; docs/results/mode-speeds-2026-11-25.md) and offers
/// only modes CudaAttention runs; <see cref="CandidatesFor"/> builds the list from any table (`sage plan --speeds FILE`)
/// and for either <see cref="PlanTarget"/>, with the <see cref="PEncoding.LogLinear"/> twins of the INT8 modes where the
/// table has their rows (<see cref="LogLinearCandidates"/>), and the <see cref="KeyMeanTokens.Strided"/> twins of those six
/// likewise (<see cref="StridedMeanCandidates"/>). The base modes name <see cref="KeyMeanTokens.All"/> explicitly: since
/// session 40 SageOptions' default is the strided trimmed mean, which is the "-strided" twin (int8-fp16x2-strided is
/// <see cref="SageOptions.Default"/>), and plan files written before then keep their meaning.
/// <see cref="AnchorCandidates"/> keeps the earlier order taken from the public kernels' published speeds, for comparison
/// and for tests of the planner's mechanics that must not depend on a measurement.
/// </summary>
/// <remarks>
/// <para>Anchor figures (<see cref="AnchorCandidates"/>): the GPU anchors recorded on an H100 80GB HBM3 on 2026-11-25
/// (shared/notes/anchors.md, B=4, H=32, d=128, FP16 inputs, N=8192 non-causal), the public SageAttention kernels'.</para>
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
        new SageOptions { QkFormat = QkFormat.Int4, PvAccumulation = PvAccumulation.Fp16TwoLevel, KeyMeanTokens = KeyMeanTokens.All }, 1.25, false,
        "estimate: not measured on H100 (no INT4 wgmma); papers report INT4 QK faster on RTX 4090");

    public static PlanCandidate Int8Fp16TwoLevel { get; } = new("int8-fp16x2",
        "INT8 per-thread QK, FP8 PV with FP16 two-level accumulation (SageAttention2++)",
        new SageOptions { PvAccumulation = PvAccumulation.Fp16TwoLevel, KeyMeanTokens = KeyMeanTokens.All }, 1.18, true,
        $"{Anchors}: SA2++ mma.sync FP16-acc 335 / SA2 mma.sync FP32-acc 283 TFLOPS");

    public static PlanCandidate Int8Fp32TwoLevel { get; } = new("int8-fp32x2",
        "INT8 per-thread QK, FP8 PV with FP32 two-level accumulation",
        new SageOptions { PvAccumulation = PvAccumulation.Fp32TwoLevel, KeyMeanTokens = KeyMeanTokens.All }, 1.0, true,
        $"{Anchors}: public SA2 Hopper wgmma kernel 649 TFLOPS (reference speed 1.0)");

    public static PlanCandidate Int8Fp32 { get; } = new("int8-fp32",
        "INT8 per-thread QK, FP8 PV accumulated in the tensor core's FP32 (fp22) accumulator",
        new SageOptions { PvAccumulation = PvAccumulation.Fp32, KeyMeanTokens = KeyMeanTokens.All }, 1.0, false,
        "not measured: same tensor-core work as two-level; ranked after it because it is less accurate");

    // The log-linear twins of the INT8 modes: the same QK and PV work, P's codes without MUFU.EX2. The public kernels have
    // no such mode, so there is no anchor figure; only a measured table (CandidatesFor) ranks them.
    public static PlanCandidate Int8Fp16TwoLevelLogLinear { get; } = LogLinearTwin(Int8Fp16TwoLevel,
        "INT8 per-thread QK, FP8 PV with FP16 two-level accumulation, P's E4M3 codes read off their arguments (no exp2)");

    public static PlanCandidate Int8Fp32TwoLevelLogLinear { get; } = LogLinearTwin(Int8Fp32TwoLevel,
        "INT8 per-thread QK, FP8 PV with FP32 two-level accumulation, P's E4M3 codes read off their arguments (no exp2)");

    public static PlanCandidate Int8Fp32LogLinear { get; } = LogLinearTwin(Int8Fp32,
        "INT8 per-thread QK, FP8 PV accumulated in the tensor core's FP32 (fp22) accumulator, P's E4M3 codes read off their arguments (no exp2)");

    public static PlanCandidate FullPrecision { get; } = new("fp16-reference",
        "full-precision FP16 attention (no quantisation): the fallback", null, 347.0 / 649.0, true,
        $"{Anchors}: PyTorch SDPA flash (FA2) 347 TFLOPS");

    /// <summary>The earlier table from the public kernels' published speeds (INT4 first), fastest first, fallback last.</summary>
    public static IReadOnlyList<PlanCandidate> AnchorCandidates { get; } =
        [Int4Fp16TwoLevel, Int8Fp16TwoLevel, Int8Fp32TwoLevel, Int8Fp32, FullPrecision];

    /// <summary>The <see cref="PEncoding.LogLinear"/> twins of the INT8 modes, in the accuracy order of their Exp2 twins.</summary>
    public static IReadOnlyList<PlanCandidate> LogLinearCandidates { get; } =
        [Int8Fp16TwoLevelLogLinear, Int8Fp32TwoLevelLogLinear, Int8Fp32LogLinear];

    /// <summary>The INT8 per-thread modes with SmoothK's mean over every token, most accurate first (see <see cref="Int8ByAccuracy"/>).</summary>
    private static IReadOnlyList<PlanCandidate> FullMeanInt8 { get; } = [Int8Fp16TwoLevel, Int8Fp32TwoLevel, Int8Fp32, .. LogLinearCandidates];

    /// <summary>
    /// The <see cref="KeyMeanTokens.Strided"/> twins of the six INT8 per-thread modes (FP16 two-level, FP32 two-level, FP32
    /// single-level under Exp2, then under log-linear P), in that order: "-strided" after the name. The pre-processing then
    /// reads K once instead of twice, which shortens a layer at short sequences; K's codes move, so the planner emulates
    /// each twin on the layer's data like any other mode.
    /// </summary>
    public static IReadOnlyList<PlanCandidate> StridedMeanCandidates { get; } = FullMeanInt8.Select(StridedMeanTwin).ToList();

    /// <summary>
    /// The INT8 per-thread modes a speed table can rank, most accurate first: the tie-break of
    /// <see cref="OrderBySpeedThenAccuracy"/>. Within an encoding FP16 two-level, FP32 two-level, FP32 single-level
    /// (docs/kernel-spec.md §13); every Exp2 mode before every log-linear one, whose codes are not the nearest E4M3 values
    /// to 2^x (about 1.09x the output's relative L1, §13), so that a log-linear mode is chosen only when it is measurably
    /// faster; and every full-mean mode before every strided-mean one (<see cref="StridedMeanCandidates"/>, in the same
    /// order), whose K codes come from a 128-token sample's mean (§1; relative L1 within −0.2 to +0.8 % of the full
    /// mean's at N = 2048, docs/accuracy-budget.md), so that a strided mode is chosen only when it is measurably faster.
    /// </summary>
    private static IReadOnlyList<PlanCandidate> Int8ByAccuracy { get; } = [.. FullMeanInt8, .. StridedMeanCandidates];

    /// <summary>The default: modes CudaAttention runs, ordered by the recorded benchmark of our kernel, fallback last.</summary>
    public static IReadOnlyList<PlanCandidate> Candidates { get; } = CandidatesFor(PlanTarget.Cuda, ModeSpeedTable.Recorded);

    /// <summary>One line naming a speed table, as plans record it.</summary>
    public static string Describe(ModeSpeedTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var s = table.Shape;
        return $"{table.Source}; {table.Device}; B={s.Batch} H={s.Heads} N={s.SequenceLength} d={s.HeadDim}{(s.Causal ? " causal" : "")}";
    }

    /// <summary>
    /// Candidates from a measured table: the INT8 per-thread modes the table holds (the planner's granularity; the others
    /// cost the same work and are less accurate), under each P encoding and key mean it has rows for (a table without
    /// log-linear rows offers no log-linear mode, one without strided key-mean rows no strided mode: their speed is
    /// unknown), ordered by end-to-end TFLOPS (pre-processing included: what a layer costs; the strided key mean changes
    /// only the pre-processing) with differences under <see cref="SpeedTieTolerance"/> broken by accuracy
    /// (<see cref="Int8ByAccuracy"/>), speeds relative to INT8 + FP32 two-level with Exp2 P and the full key mean; for
    /// <see cref="PlanTarget.Emulator"/> INT4 first, marked emulator-only with its estimate (the emulator runs every mode,
    /// log-linear and strided ones included); the full-precision fallback last.
    /// </summary>
    public static IReadOnlyList<PlanCandidate> CandidatesFor(PlanTarget target, ModeSpeedTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (!Enum.IsDefined(target)) throw new ArgumentOutOfRangeException(nameof(target), target, "Unknown plan target.");
        var measured = Int8ByAccuracy
            .Select(c => (Candidate: c, Row: table.Find(QuantGranularity.PerThread, c.Options!.PvAccumulation, encoding: c.Options.PEncoding,
                keyMean: c.Options.KeyMeanTokens)))
            .Where(x => x.Row is not null)
            .ToList();
        if (measured.Count == 0)
            throw new ArgumentException($"The speed table ({Describe(table)}) has no INT8 per-thread row; `sage bench --modes all` writes them.", nameof(table));
        double unit = measured.FirstOrDefault(x => x.Candidate == Int8Fp32TwoLevel).Row?.EndToEndTflops ?? measured.Max(x => x.Row!.EndToEndTflops);
        string where = Describe(table);
        var list = OrderBySpeedThenAccuracy(measured.Select(x => (x.Candidate, x.Row!)).ToList())
            .Select(x => x.Candidate with
            {
                RelativeSpeed = x.Row!.EndToEndTflops / unit,
                SpeedMeasured = true,
                SpeedSource = $"{where}: {x.Row.EndToEndTflops:F1} TFLOPS end-to-end, {x.Row.KernelTflops:F1} kernel-only",
            })
            .ToList();
        if (target == PlanTarget.Emulator)
            list.Insert(0, Int4Fp16TwoLevel with
            {
                Description = Int4Fp16TwoLevel.Description + " (emulator only: CudaAttention refuses INT4 on Hopper)",
                RelativeSpeed = Math.Max(Int4Fp16TwoLevel.RelativeSpeed, list[0].RelativeSpeed),
                SpeedMeasured = false,
            });
        list.Add(FullPrecision);
        return list;
    }

    /// <summary>
    /// Measured speeds closer than this (relative) count as equal: modes doing identical work differed by up to 0.6% in the
    /// recorded run (docs/results/mode-speeds-2026-11-25.md), so a difference that small must not buy a less accurate mode.
    /// </summary>
    public const double SpeedTieTolerance = 0.02;

    /// <summary>
    /// Fastest first, where candidates within <see cref="SpeedTieTolerance"/> of the fastest remaining one are a tie, broken
    /// by the accuracy order of the input (<see cref="Int8ByAccuracy"/>: the first of the tied candidates in the input wins).
    /// </summary>
    private static List<(PlanCandidate Candidate, ModeSpeedEntry Row)> OrderBySpeedThenAccuracy(List<(PlanCandidate Candidate, ModeSpeedEntry Row)> remaining)
    {
        var ordered = new List<(PlanCandidate, ModeSpeedEntry)>();
        while (remaining.Count > 0)
        {
            double fastest = remaining.Max(x => x.Row.EndToEndTflops);
            var pick = remaining.First(x => x.Row.EndToEndTflops >= fastest * (1 - SpeedTieTolerance));
            ordered.Add(pick);
            remaining.Remove(pick);
        }
        return ordered;
    }

    /// <summary>The candidate of that name (any table: options are the same); an unknown name throws an ArgumentException listing the valid ones.</summary>
    public static PlanCandidate Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var known = AnchorCandidates.Concat(LogLinearCandidates).Concat(StridedMeanCandidates);
        foreach (var c in known) if (c.Name == name) return c;
        throw new ArgumentException($"Unknown mode '{name}'; valid: {string.Join(", ", known.Select(c => c.Name))}.", nameof(name));
    }

    /// <summary>The log-linear twin of an Exp2 mode: its name with "-loglin", its options with <see cref="PEncoding.LogLinear"/>,
    /// and, unmeasured, its twin's speed as the estimate (the same tensor-core work, less the exp2).</summary>
    private static PlanCandidate LogLinearTwin(PlanCandidate exp2, string description) =>
        new(exp2.Name + "-loglin", description, exp2.Options! with { PEncoding = PEncoding.LogLinear }, exp2.RelativeSpeed, false,
            $"estimate: {exp2.Name}'s speed; the public kernels have no log-linear P, so only a measured table ranks it");

    /// <summary>The strided key-mean twin of a full-mean mode: its name with "-strided", its options with
    /// <see cref="KeyMeanTokens.Strided"/>, and, unmeasured, its twin's speed as the estimate (the same main loop; only the
    /// pre-processing's reads of K differ, and no public kernel has the sample, so only a measured table ranks it).</summary>
    private static PlanCandidate StridedMeanTwin(PlanCandidate full) =>
        new(full.Name + "-strided",
            $"{full.Description}; SmoothK's trimmed mean of {KeyMeanSample.MaxTokens} strided tokens (docs/kernel-spec.md §1)",
            full.Options! with { KeyMeanTokens = KeyMeanTokens.Strided }, full.RelativeSpeed, false,
            $"estimate: {full.Name}'s speed; only a measured table (`sage bench --modes all`) ranks the strided key mean");
}
