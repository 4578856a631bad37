using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Sage.Cuda;
using Sage.Cuda.Benchmarking;
using Sage.Cuda.Telemetry;
using Sage.Emulation.Planning;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Sage.Cli.Commands;

/// <summary>
/// `sage bench`: the CUDA backend's speed table (CUDA events, median of repeated launches, rotating inputs). With
/// `--modes all` it times every PV accumulation × QK granularity × P encoding the kernel runs on one problem, and the INT8
/// per-thread ones also with SmoothK's strided mean (<see cref="KeyMeanTokens.Strided"/>), and writes the per-mode speed table
/// the planner orders its candidates by (<see cref="ModeSpeedTable"/>; `sage plan --speeds FILE`).
/// </summary>
public sealed class BenchCommand : Command<BenchCommand.Settings>
{
    public sealed class Settings : JsonSettings
    {
        [CommandOption("--seq <LIST>")]
        [Description("Comma-separated sequence lengths (default 1024,4096,16384).")]
        public string Sequences { get; init; } = "1024,4096,16384";

        [CommandOption("--head-dim <LIST>")]
        [Description("Comma-separated head dims, 64 and/or 128 (default 128,64).")]
        public string HeadDims { get; init; } = "128,64";

        [CommandOption("--batch <B>")]
        [Description("Batch size (default 4).")]
        public int Batch { get; init; } = 4;

        [CommandOption("--heads <H>")]
        [Description("Heads (default 32).")]
        public int Heads { get; init; } = 32;

        [CommandOption("--pv <MODE>")]
        [Description("PV accumulation: Fp16TwoLevel (default), Fp32TwoLevel or Fp32.")]
        public PvAccumulation Pv { get; init; } = PvAccumulation.Fp16TwoLevel;

        [CommandOption("--p-encoding <ENCODING>")]
        [Description("How P becomes E4M3 codes: Exp2 (default: MUFU ex2, then rounding) or LogLinear (the code read off the argument, no exp2; docs/kernel-spec.md §7.8). --modes all times both.")]
        public PEncoding PEncoding { get; init; } = PEncoding.Exp2;

        [CommandOption("--key-mean <TOKENS>")]
        [Description("Which tokens form SmoothK's mean: Strided (default: the trimmed mean of 128 tokens spread over each head; K is then read once; docs/kernel-spec.md §1) or All (every token, SageAttention's mean). --modes all times both.")]
        public KeyMeanTokens? KeyMean { get; init; }

        [CommandOption("--modes <MODES>")]
        [Description("'all': every PV accumulation x QK granularity x P encoding the CUDA kernel runs, the per-thread ones with both key means (--key-mean All and Strided; 24 modes), on one problem (--seq first value, default 8192; --head-dim first value; --causal), printing the planner's speed table. With --json the table is JSON on stdout (the human table goes to stderr).")]
        public string? Modes { get; init; }

        [CommandOption("--causal")]
        [Description("With --modes: time the causal problem (default: non-causal).")]
        public bool Causal { get; init; }

        [CommandOption("-o|--output <FILE>")]
        [Description("With --modes: also write the JSON speed table to FILE (for sage plan --speeds FILE).")]
        public string? Output { get; init; }

        [CommandOption("--telemetry")]
        [Description("Also read the GPU's SM clock and power (NVML, every 20 ms) while the kernel-only and end-to-end repetitions run, each after one second of the same launches untimed unless --settle says otherwise (NVML's readings lag the load), and report their medians and the share of readings with the power cap active. Readings shorter than 20 ms show as NaN: use --repetitions to lengthen them.")]
        public bool Telemetry { get; init; }

        [CommandOption("--timeline")]
        [Description("Also time the main loop's CTAs (a probe compiled in through SAGE_KERNEL_DEFINES=SAGE_CTA_TIMELINE=N, which this option adds): per case, from one kernel-only launch, the mean prologue (setup: the block's indices and thread 0's copy issue; then the Q wait), first QK, K-tile iteration, epilogue (its barrier, the staging and the stores) and SM refill times, the share of SM time with 0, 1, 2, ... CTAs in their K-tile loop, and the K-tile time of CTAs by how many others shared their loop. The probe adds a few instructions per CTA (2-5 % of the kernel at 2K); time the goal table without it.")]
        public bool Timeline { get; init; }

        [CommandOption("--lse")]
        [Description("Also return the log-sum-exp of every row (the main loop's epilogue computes it, with the SmoothK correction), as training and chunked attention need.")]
        public bool Lse { get; init; }

        [CommandOption("--rounds <N>")]
        [Description("With --modes: timed passes over all modes after one untimed pass (default 5); each mode's figure is the median of all its launches, so that no mode is ranked by its place in the sequence while a power-capped card changes its clock.")]
        public int? Rounds { get; init; }

        [CommandOption("--settle <SECONDS>")]
        [Description("Seconds of untimed back-to-back launches before each timed window, so that a power-capped card is measured loaded rather than in a burst from idle (default: 1 with --telemetry, else 0).")]
        public double? Settle { get; init; }

        [CommandOption("--queue-ahead <MICROSECONDS>")]
        [Description("Before each timed launch, queue a spin kernel of at least this many microseconds on the stream, so that the host's enqueue work (allocations, launches) happens while the GPU is busy and the events time the GPU alone (default 0: each launch timed from an idle stream, the host's latency included). The difference between the two readings is the host's share of a call.")]
        public double QueueAhead { get; init; }

        [CommandOption("--smooth-q")]
        [Description("Time with SmoothQ on (the query mean subtracted before quantisation, its score correction in the main loop: the *_smooth kernels).")]
        public bool SmoothQ { get; init; }

        [CommandOption("--smooth-v")]
        [Description("Time with SmoothV on (the value mean subtracted before the FP8 codes, added back in the epilogue: the *_smooth kernels).")]
        public bool SmoothV { get; init; }

        [CommandOption("--layout <LAYOUT>")]
        [Description("Layout of Q, K, V and the output: HND = [[B, H, N, D]] (default) or NHD = [[B, N, H, D]] (PyTorch's); the sequence table only.")]
        public TensorLayout Layout { get; init; } = TensorLayout.HND;

        [CommandOption("--repetitions <N>")]
        [Description("Timed launches per case; the median is reported (default 10).")]
        public int Repetitions { get; init; } = 10;

        public override ValidationResult Validate()
        {
            if (Batch < 1 || Heads < 1 || Repetitions < 1) return ValidationResult.Error("--batch, --heads and --repetitions must be at least 1.");
            if (!TryParseList(Sequences, out _) ) return ValidationResult.Error($"--seq '{Sequences}' is not a comma-separated list of positive integers.");
            if (!TryParseList(HeadDims, out var dims) || dims.Any(d => !SageOptions.SupportedHeadDims.Contains(d)))
                return ValidationResult.Error($"--head-dim '{HeadDims}' must list head dims among {string.Join(", ", SageOptions.SupportedHeadDims)}.");
            if (Modes is not null && Modes != "all") return ValidationResult.Error($"--modes '{Modes}': the only value is 'all'.");
            if (Rounds is int r && r < 1) return ValidationResult.Error($"--rounds {r}: must be at least 1.");
            if (Rounds is not null && Modes is null) return ValidationResult.Error("--rounds applies to --modes all only.");
            if (Modes is not null && (SmoothQ || SmoothV))
                return ValidationResult.Error("--smooth-q and --smooth-v apply to the sequence table, not --modes all (the planner's speed table is of the default smoothing).");
            if (Modes is not null && Timeline)
                return ValidationResult.Error("--timeline applies to the sequence table, not --modes all (the probe changes the kernels it would rank).");
            if (Modes is not null && Layout != TensorLayout.HND)
                return ValidationResult.Error($"--layout {Layout} applies to the sequence table, not --modes all (the planner's speed table is of HND inputs).");
            if (!Enum.IsDefined(Layout)) return ValidationResult.Error($"--layout {Layout}: expected HND or NHD.");
            if (KeyMean is KeyMeanTokens k && !Enum.IsDefined(k)) return ValidationResult.Error($"--key-mean {k}: expected All or Strided.");
            if (KeyMean is not null && Modes is not null)
                return ValidationResult.Error("--key-mean applies to the sequence table; --modes all times both key means (every INT8 per-thread mode also with the strided mean).");
            if (Settle is double settle && !(settle >= 0 && double.IsFinite(settle)))
                return ValidationResult.Error($"--settle {settle}: expected zero or more seconds.");
            if (!(QueueAhead >= 0 && QueueAhead <= 1e6))
                return ValidationResult.Error($"--queue-ahead {QueueAhead}: expected 0 to 1000000 microseconds.");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (!CudaDevice.IsAvailable(out string reason))
            throw new CudaUnavailableException(CudaComponent.Device, $"sage bench needs a CUDA device: {reason}", []);
        TryParseList(settings.Sequences, out var sequences);
        TryParseList(settings.HeadDims, out var dims);
        if (settings.Modes is not null) return ExecuteModes(settings, settings.Sequences == "1024,4096,16384" ? 8192 : sequences[0], dims[0], cancellationToken);
        var options = new SageOptions
        {
            PvAccumulation = settings.Pv, PEncoding = settings.PEncoding, SmoothQ = settings.SmoothQ, SmoothV = settings.SmoothV,
            KeyMeanTokens = settings.KeyMean ?? SageOptions.Default.KeyMeanTokens,
        };
        // The probe is a compile-time macro of the main loop: add it before CudaAttention compiles (the kernel cache keys on it).
        if (settings.Timeline) Environment.SetEnvironmentVariable(KernelDefines.EnvironmentVariable, KernelDefines.With(
            Environment.GetEnvironmentVariable(KernelDefines.EnvironmentVariable), CtaTimeline.Define));
        var cases = (from d in dims from causal in new[] { false, true } from n in sequences
                     select new BenchmarkCase(settings.Batch, settings.Heads, n, d, causal, options, settings.Lse, settings.Layout)).ToList();

        using var cuda = CudaContext.Create();
        using var telemetry = settings.Telemetry ? DeviceTelemetry.Open(cuda) : null;
        var bench = new AttentionBenchmark(cuda)
        {
            Repetitions = settings.Repetitions, Telemetry = telemetry, SettleSeconds = settings.Settle, QueueAheadMicroseconds = settings.QueueAhead,
            Timeline = settings.Timeline,
        };
        var results = new List<BenchmarkResult>();
        void RunAll(Action<string>? progress)
        {
            foreach (var c in cases)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Invoke($"N={c.SequenceLength} d={c.HeadDim}{(c.Causal ? " causal" : "")}");
                results.Add(bench.Measure(c));
            }
        }
        if (settings.Json) RunAll(null);
        else AnsiConsole.Progress().AutoClear(true).Start(ctx =>
        {
            var task = ctx.AddTask("bench", maxValue: cases.Count);
            RunAll(label => { task.Description = Markup.Escape(label); task.Increment(1); });
        });

        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(results.Select(r => new
            {
                device = r.Device, batch = r.Case.Batch, heads = r.Case.Heads, n = r.Case.SequenceLength, headDim = r.Case.HeadDim,
                causal = r.Case.Causal, lse = r.Case.Lse, layout = r.Case.Layout.ToString(), pv = r.Case.Options.PvAccumulation.ToString(), p = r.Case.Options.PEncoding.ToString(), keyMean = r.Case.Options.KeyMeanTokens.ToString(),
                smoothQ = r.Case.Options.SmoothQ, smoothV = r.Case.Options.SmoothV,
                repetitions = r.Repetitions, queueAheadUs = settings.QueueAhead,
                kernelDefines = Environment.GetEnvironmentVariable(KernelDefines.EnvironmentVariable) is { Length: > 0 } defines ? defines : null,
                kernelMs = r.KernelMilliseconds, endToEndMs = r.EndToEndMilliseconds, kernelTflops = r.KernelTflops, endToEndTflops = r.EndToEndTflops,
                preprocessMs = r.PreprocessMilliseconds, preprocessGBps = r.PreprocessGigabytesPerSecond,
                kernelHostUs = r.HostEnqueue?.KernelMicroseconds, preprocessHostUs = r.HostEnqueue?.PreprocessMicroseconds,
                endToEndHostUs = r.HostEnqueue?.EndToEndMicroseconds,
                endToEndGraphs = new { direct = r.EndToEndGraphs.Direct, captured = r.EndToEndGraphs.Captured, replayed = r.EndToEndGraphs.Replayed, refused = r.EndToEndGraphs.Refused },
                powerReading = telemetry?.Power.ToString(),
                kernelTelemetry = TelemetryJson(r.KernelTelemetry), endToEndTelemetry = TelemetryJson(r.EndToEndTelemetry),
                timeline = r.Timeline,
            }), new JsonSerializerOptions { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
                NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals }));
            return ExitCodes.Success;
        }
        string power = telemetry is null ? "" : $", power: {telemetry.Power}";
        var table = new Table().Title($"{Markup.Escape(cuda.Device.Name)}: B={settings.Batch} H={settings.Heads} {settings.Pv}{(settings.PEncoding == PEncoding.LogLinear ? ", log-linear P" : "")}{(settings.SmoothQ ? ", SmoothQ" : "")}{(settings.SmoothV ? ", SmoothV" : "")}{(options.KeyMeanTokens == KeyMeanTokens.All ? ", full K mean" : "")}{(settings.Lse ? ", with LSE" : "")}{(settings.Layout != TensorLayout.HND ? $", {settings.Layout} inputs" : "")}{(settings.QueueAhead > 0 ? $", each launch queued {settings.QueueAhead} µs ahead" : "")}, median of {settings.Repetitions}{power}")
            .AddColumns("d", "N", "causal", "kernel ms", "kernel TFLOPS", "pre ms", "pre GB/s", "e2e ms", "e2e TFLOPS", "e2e-kernel-pre ms", "e2e host µs");
        if (telemetry is not null) table.AddColumns("kernel MHz / W / capped", "e2e MHz / W / capped");
        foreach (var r in results)
        {
            var cells = new List<string>
            {
                r.Case.HeadDim.ToString(), r.Case.SequenceLength.ToString(), r.Case.Causal ? "yes" : "no",
                F(r.KernelMilliseconds, "F3"), F(r.KernelTflops, "F1"), F(r.PreprocessMilliseconds, "F3"), F(r.PreprocessGigabytesPerSecond, "F0"),
                F(r.EndToEndMilliseconds, "F3"), F(r.EndToEndTflops, "F1"),
                F(r.EndToEndMilliseconds - r.KernelMilliseconds - r.PreprocessMilliseconds, "F3"),
                F(r.HostEnqueue?.EndToEndMicroseconds ?? double.NaN, "F1"),
            };
            if (telemetry is not null) cells.AddRange([Cell(r.KernelTelemetry), Cell(r.EndToEndTelemetry)]);
            table.AddRow(cells.ToArray());
        }
        AnsiConsole.Write(table);
        if (settings.Timeline) AnsiConsole.Write(TimelineTable(results));
        return ExitCodes.Success;
    }

    /// <summary>One row per case of the main loop's CTA timeline (µs at the measured clock).</summary>
    public static Table TimelineTable(IEnumerable<BenchmarkResult> results)
    {
        var table = new Table().Title("Main loop CTA timeline (one kernel-only launch per case; µs; in loop k: share of SM time with k CTAs in their K-tile loop)")
            .AddColumns("d", "N", "causal", "CTAs", "MHz", "prologue (setup: indices / issue, + Q wait)", "first QK", "tile", "epilogue (barrier / staging / stores)", "refill", "SM span", "resident", "in loop", "in loop 0 / 1 / 2 / 3+",
                "tile with 0 / 1 / 2 / 3+ others");
        foreach (var r in results)
        {
            if (r.Timeline is not { } t) continue;
            var shares = string.Join(" / ", Enumerable.Range(0, 4).Select(k =>
                F(100 * (k < 3 ? (k < t.InLoopShares.Count ? t.InLoopShares[k] : 0) : t.InLoopShares.Skip(3).Sum()), "F0") + "%"));
            table.AddRow(r.Case.HeadDim.ToString(), r.Case.SequenceLength.ToString(), r.Case.Causal ? "yes" : "no", t.Ctas.ToString(),
                F(t.ClockMhz, "F0"),
                $"{F(t.PrologueMicroseconds, "F2")} ({F(t.SetupMicroseconds, "F2")}: {F(t.IndexMicroseconds, "F2")} / {F(t.IssueMicroseconds, "F2")}, + {F(t.QueryWaitMicroseconds, "F2")})",
                F(t.FirstQkMicroseconds, "F2"), F(t.TileMicroseconds, "F2"),
                $"{F(t.EpilogueMicroseconds, "F2")} ({F(t.EpilogueBarrierMicroseconds, "F2")} / {F(t.StagingMicroseconds, "F2")} / {F(t.EpilogueMicroseconds - t.EpilogueBarrierMicroseconds - t.StagingMicroseconds, "F2")})",
                F(t.RefillMicroseconds, "F2"), F(t.SpanMicroseconds, "F1"), F(t.MeanResident, "F2"), F(t.MeanInLoop, "F2"), shares,
                string.Join(" / ", Enumerable.Range(0, 4).Select(k => k < t.TileMicrosecondsByCompany.Count ? F(t.TileMicrosecondsByCompany[k], "F2") : "-")));
        }
        return table;
    }

    /// <summary>Timed passes of --modes all when --rounds is not given.</summary>
    public const int DefaultModeRounds = 5;

    /// <summary>
    /// The modes --modes all times, in the order of a pass: every (PV accumulation, granularity, P encoding) with SmoothK's
    /// mean over every token, and the per-thread ones (the planner's candidates, <see cref="ModeSpeeds.CandidatesFor"/>)
    /// also with the strided mean. Per-warp and per-block get no strided row: the planner does not offer them, and each
    /// row costs every pass a launch series.
    /// </summary>
    /// <remarks>A mode's two encodings, and a per-thread mode's two key means, are timed back to back in every pass: the
    /// planner breaks their near-ties toward Exp2 and toward the full mean, so their difference must owe nothing to the
    /// card's clock drifting between distant places in the pass.</remarks>
    public static IReadOnlyList<SageOptions> ModeTableModes { get; } =
        (from pv in new[] { PvAccumulation.Fp16TwoLevel, PvAccumulation.Fp32TwoLevel, PvAccumulation.Fp32 }
         from g in new[] { QuantGranularity.PerThread, QuantGranularity.PerWarp, QuantGranularity.PerBlock }
         from p in new[] { PEncoding.Exp2, PEncoding.LogLinear }
         from k in g == QuantGranularity.PerThread ? new[] { KeyMeanTokens.All, KeyMeanTokens.Strided } : [KeyMeanTokens.All]
         select new SageOptions { PvAccumulation = pv, Granularity = g, PEncoding = p, KeyMeanTokens = k }).ToList();

    /// <summary>The speed table's row of one timed mode: the options that name it (key mean included) and its rounded timings.</summary>
    public static ModeSpeedEntry SpeedRow(BenchmarkResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var o = r.Case.Options;
        return new ModeSpeedEntry(o.QkFormat, o.Granularity, o.PvAccumulation,
            Math.Round(r.KernelMilliseconds, 4), Math.Round(r.EndToEndMilliseconds, 4), Math.Round(r.KernelTflops, 1), Math.Round(r.EndToEndTflops, 1),
            o.PEncoding, o.KeyMeanTokens);
    }

    /// <summary>Every mode of <see cref="ModeTableModes"/> on one problem: the planner's speed table.</summary>
    private static int ExecuteModes(Settings settings, int n, int d, CancellationToken cancellationToken)
    {
        var modes = ModeTableModes;
        using var cuda = CudaContext.Create();
        int rounds = settings.Rounds ?? DefaultModeRounds;
        var bench = new AttentionBenchmark(cuda)
        {
            Repetitions = settings.Repetitions, Rounds = rounds, WarmUpRounds = 1, SettleSeconds = settings.Settle, QueueAheadMicroseconds = settings.QueueAhead,
        };
        var human = settings.Json ? Console.Error : Console.Out;
        human.WriteLine($"sage bench --modes all: {cuda.Device.Name}, B={settings.Batch} H={settings.Heads} N={n} d={d}{(settings.Causal ? " causal" : "")}, " +
                        $"FP16 inputs, {modes.Count} modes interleaved: 1 untimed + {rounds} timed passes, median of {rounds} x {settings.Repetitions} launches (CUDA events)");
        var results = bench.MeasureModes(settings.Batch, settings.Heads, n, d, settings.Causal, modes,
            o => { cancellationToken.ThrowIfCancellationRequested(); human.Write($"  {o.PvAccumulation}/{o.Granularity}/{o.PEncoding}/{o.KeyMeanTokens} ...\r"); });
        string version = typeof(BenchCommand).Assembly.GetName().Version?.ToString() ?? "?";
        var table = new ModeSpeedTable
        {
            Source = $"sage bench --modes all (sage {version}, {DateTime.UtcNow:yyyy-MM-dd})",
            Device = cuda.Device.Name,
            Shape = new ModeSpeedShape(settings.Batch, settings.Heads, n, d, settings.Causal),
            Modes = results.Select(SpeedRow).ToList(),
        };
        double unit = table.Find(QuantGranularity.PerThread, PvAccumulation.Fp32TwoLevel)?.EndToEndTflops ?? 1;
        human.WriteLine($"{"PV accumulation",-16} {"granularity",-11} {"P",-9} {"K mean",-8} {"kernel ms",10} {"kernel TF",10} {"e2e ms",10} {"e2e TF",8} {"vs fp32x2",9}");
        foreach (var m in table.Modes.OrderByDescending(m => m.EndToEndTflops))
            human.WriteLine($"{m.Pv,-16} {m.Granularity,-11} {m.PEncoding,-9} {m.KeyMean,-8} {F(m.KernelMs, "F3"),10} {F(m.KernelTflops, "F1"),10} {F(m.EndToEndMs, "F3"),10} " +
                            $"{F(m.EndToEndTflops, "F1"),8} {F(m.EndToEndTflops / unit, "F3"),9}");
        string json = table.ToJson();
        if (settings.Output is not null) File.WriteAllText(settings.Output, json);
        if (settings.Json) Console.Write(json);
        return ExitCodes.Success;
    }

    private static string F(double x, string format) => x.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>"1650 / 628 / 100 %" (median SM clock, median power, share of readings power-capped), or "-" without readings.</summary>
    private static string Cell(TelemetrySummary? t) =>
        t is null || t.Samples == 0 ? "-" : $"{F(t.MedianSmClockMHz, "F0")} / {F(t.MedianPowerWatts, "F0")} / {F(100 * t.PowerCapShare, "F0")} %";

    private static object? TelemetryJson(TelemetrySummary? t) => t is null ? null : new
    {
        samples = t.Samples, smClockMHz = t.MedianSmClockMHz, minSmClockMHz = t.MinSmClockMHz, powerW = t.MedianPowerWatts,
        powerCapShare = t.PowerCapShare,
    };

    private static bool TryParseList(string text, out List<int> values)
    {
        values = [];
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v < 1) return false;
            values.Add(v);
        }
        return values.Count > 0;
    }
}
