using System.Diagnostics;
using Sage.Cuda.Preprocessing;

namespace Sage.Cuda.Benchmarking;

/// <summary>
/// Times CudaAttention with CUDA events: a warm-up launch (module load and compilation stay out of the numbers),
/// then <see cref="Repetitions"/> timed launches whose median is reported. Inputs rotate among
/// <see cref="InputSets"/> independent random sets so that repeated launches do not measure a warm L2 (50 MB on
/// the H100, less than one set at the sizes that matter). Inputs are random FP16, never zeros. Three numbers per case:
/// kernel-only, pre-processing alone and end-to-end (<see cref="BenchmarkResult"/>).
/// </summary>
public sealed class AttentionBenchmark(CudaContext context)
{
    public int Repetitions { get; init; } = 10;
    public int InputSets { get; init; } = 3;

    /// <summary>
    /// Passes over all modes of <see cref="MeasureModes"/>, each timing every mode with <see cref="Repetitions"/> launches;
    /// a mode's result is the median of all its launches. Why: a power-capped card (the H100 under its 700 W limit) changes
    /// its clock over hundreds of milliseconds, so modes timed one after another in a single pass are ranked partly by
    /// their place in the sequence (session 11: one pass at N = 8K put the same Fp32 kernel at 752 TFLOPS, while it ran
    /// 863-909 in separate benches at 4K-32K). Interleaved passes give every mode the same mix of card states.
    /// </summary>
    public int Rounds
    {
        get => rounds;
        init => rounds = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(Rounds), value, "at least one round");
    }

    /// <summary>Untimed passes over all modes before the timed <see cref="Rounds"/>, so that the first mode does not run on a cool card.</summary>
    public int WarmUpRounds
    {
        get => warmUpRounds;
        init => warmUpRounds = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(WarmUpRounds), value, "zero or more rounds");
    }

    private readonly int rounds = 1;
    private readonly int warmUpRounds;

    /// <summary>
    /// When set, each mode's result carries the main loop's <see cref="CtaTimeline"/> of its last kernel-only launch. The
    /// main loop must be compiled with the probe (<see cref="CtaTimeline.Define"/> in SAGE_KERNEL_DEFINES before the
    /// benchmark starts; `sage bench --timeline` sets it); otherwise the measurement throws.
    /// </summary>
    public bool Timeline { get; init; }

    /// <summary>
    /// When set, the device's SM clock and power are read while the kernel-only and end-to-end repetitions run, each after
    /// <see cref="EffectiveSettleSeconds"/> of the same launches untimed.
    /// </summary>
    public Telemetry.DeviceTelemetry? Telemetry { get; init; }

    /// <summary>
    /// Seconds of untimed back-to-back launches before each timed window (kernel-only and end-to-end); null: one second
    /// with <see cref="Telemetry"/>, none without (<see cref="EffectiveSettleSeconds"/>).
    /// Why a settle: a power-capped card clocks down within about a second of sustained load, so a window that follows
    /// idle time measures a burst, and NVML's clock and power answer for the device some time before the reading. Without
    /// it the kernel-only telemetry window read 1980 MHz / 121-459 W at 16K while the loop runs at the 700 W cap (session
    /// 19, H100), and at 2K cuDNN's 10-launch window ran 600-613 TFLOPS against 460-538 after a settle (session 21).
    /// </summary>
    public double? SettleSeconds
    {
        get => settleSeconds;
        init => settleSeconds = value is not double v || (v >= 0 && double.IsFinite(v))
            ? value : throw new ArgumentOutOfRangeException(nameof(SettleSeconds), value, "zero or more seconds");
    }

    private readonly double? settleSeconds;

    /// <summary>The settle that applies: <see cref="SettleSeconds"/>, else one second with telemetry and none without.</summary>
    public double EffectiveSettleSeconds => settleSeconds ?? (Telemetry is null ? 0 : 1);

    /// <summary>
    /// Microseconds of GPU work (the interop `spin` kernel, one thread, at least this long below 2 GHz) queued before each
    /// timed launch; 0 (default): none. Why: every timed launch starts on an idle stream, so the events also time the
    /// host's enqueue work until the first kernel starts (at 2K, stream-ordered allocations and launches are a visible
    /// part of an end-to-end call of 0.4 ms). With the stream held busy for longer than that work, the events time the
    /// GPU alone; the difference between the two readings is the host's share.
    /// </summary>
    public double QueueAheadMicroseconds
    {
        get => queueAheadMicroseconds;
        init => queueAheadMicroseconds = value >= 0 && double.IsFinite(value)
            ? value : throw new ArgumentOutOfRangeException(nameof(QueueAheadMicroseconds), value, "zero or more microseconds");
    }

    private readonly double queueAheadMicroseconds;

    /// <summary>Spin cycles for <see cref="QueueAheadMicroseconds"/>: at 2 GHz, so that the spin lasts at least that long.</summary>
    internal static long QueueAheadCycles(double microseconds) => (long)Math.Ceiling(microseconds * 2000);

    public BenchmarkResult Measure(BenchmarkCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return MeasureModes(c.Batch, c.Heads, c.SequenceLength, c.HeadDim, c.Causal, [c.Options], lse: c.Lse, layout: c.Layout)[0];
    }

    /// <summary>
    /// Times every mode of <paramref name="modes"/> on one problem: the input sets are generated once and shared, and one
    /// CudaAttention serves all modes (kernels load once), so a whole per-mode table costs one data generation. With
    /// <paramref name="lse"/> every call also writes the log-sum-exp; <paramref name="layout"/> is the inputs' and output's
    /// layout (the buffers are the same size in either).
    /// </summary>
    public IReadOnlyList<BenchmarkResult> MeasureModes(int batch, int heads, int sequenceLength, int headDim, bool causal,
        IReadOnlyList<SageOptions> modes, Action<SageOptions>? starting = null, bool lse = false, TensorLayout layout = TensorLayout.HND)
    {
        ArgumentNullException.ThrowIfNull(modes);
        if (Telemetry is not null && Rounds + WarmUpRounds > 1)
            throw new InvalidOperationException(
                $"Telemetry summarises one measurement; with {Rounds} rounds and {WarmUpRounds} warm-up rounds there are several per mode. Use Rounds = 1 and WarmUpRounds = 0 with Telemetry.");
        long count = (long)batch * heads * sequenceLength * headDim;
        var sets = new List<(DeviceBuffer<ushort> Q, DeviceBuffer<ushort> K, DeviceBuffer<ushort> V)>();
        using var output = DeviceBuffer<ushort>.Allocate(context, count);
        using var lseBuffer = lse ? DeviceBuffer<float>.Allocate(context, (long)batch * heads * sequenceLength) : null;
        ulong lsePointer = lseBuffer?.Pointer ?? 0;
        using var attention = new CudaAttention(context);
        using var preprocessor = new GpuPreprocessor(context);
        using var spinModule = QueueAheadMicroseconds > 0
            ? new KernelCompiler().Load(context, KernelSource.FromEmbedded(typeof(CudaContext).Assembly, "Sage.Cuda.Kernels.Interop.spin.cu"))
            : null;
        using var spinElapsed = spinModule is null ? null : DeviceBuffer<ulong>.Allocate(context, 1);
        var spin = spinModule?.GetFunction("spin");
        long spinCycles = QueueAheadCycles(QueueAheadMicroseconds);
        // Queued before each timed launch (QueueAheadMicroseconds), or nothing.
        Action? ahead = spin is null ? null : () => spin.Launch(1u, 1u, 0, null, spinCycles, spinElapsed!);
        try
        {
            for (int s = 0; s < InputSets; s++)
                sets.Add((RandomHalf(count, 3 * s + 1), RandomHalf(count, 3 * s + 2), RandomHalf(count, 3 * s + 3)));
            DeviceTensor T(DeviceBuffer<ushort> b) => DeviceTensor.From(b, ElementType.Float16);
            var o = T(output);
            // The pre-processing the e2e call runs: without Q when the main loop quantises it, so kernel-only is the
            // production main loop.
            var samples = modes.Select(options =>
            {
                var c = new BenchmarkCase(batch, heads, sequenceLength, headDim, causal, options, lse, layout);
                return new ModeSamples(c, attention.QuantizesQueriesInMainLoop(c.Problem, options));
            }).ToList();
            for (int round = -WarmUpRounds; round < Rounds; round++)
                foreach (var mode in samples)
                {
                    var options = mode.Case.Options;
                    var problem = mode.Case.Problem;
                    bool quantizeQueries = !mode.QueriesInMainLoop;
                    starting?.Invoke(options);
                    var preprocessed = new List<PreprocessedInputs>();
                    try
                    {
                        foreach (var s in sets)
                            preprocessed.Add(preprocessor.Preprocess(problem, options, T(s.Q), T(s.K), T(s.V), quantizeQueries: quantizeQueries));
                        var (kernel, kernelHost, kernelTelemetry) = Observed(i => attention.LaunchMainLoop(problem, options,
                            preprocessed[i % sets.Count], T(sets[i % sets.Count].Q), o, lsePointer), ahead);
                        if (Timeline && round == Rounds - 1)
                            mode.Timeline = CtaTimeline.Summarize(CtaTimeline.Parse(attention.ReadCtaTimeline(problem, options.PEncoding)
                                ?? throw new InvalidOperationException(
                                    $"Timeline needs the main loop compiled with {CtaTimeline.Define} ({KernelDefines.EnvironmentVariable}, set before the benchmark starts).")));
                        // Pre-processing alone, as the e2e call runs it (allocation, launches, release queued on the stream).
                        var (preprocess, preprocessHost) = Times(i => preprocessor.Preprocess(problem, options, T(sets[i % sets.Count].Q),
                            T(sets[i % sets.Count].K), T(sets[i % sets.Count].V), stream: null, quantizeQueries: quantizeQueries).Dispose(), ahead);
                        // The no-wait device entry on the legacy default stream: the events bracket exactly the queued work.
                        var (endToEnd, endToEndHost, endToEndTelemetry) = Observed(i => attention.Run(problem, options,
                            T(sets[i % sets.Count].Q), T(sets[i % sets.Count].K), T(sets[i % sets.Count].V), o, lsePointer, stream: null), ahead);
                        if (round < 0) continue;
                        mode.Kernel.AddRange(kernel);
                        mode.Preprocess.AddRange(preprocess);
                        mode.EndToEnd.AddRange(endToEnd);
                        mode.KernelHost.AddRange(kernelHost);
                        mode.PreprocessHost.AddRange(preprocessHost);
                        mode.EndToEndHost.AddRange(endToEndHost);
                        mode.KernelTelemetry = kernelTelemetry;
                        mode.EndToEndTelemetry = endToEndTelemetry;
                        mode.EndToEndGraphs = attention.GraphReplays;
                    }
                    finally
                    {
                        foreach (var p in preprocessed) p.Dispose();
                        context.Synchronize();
                    }
                }
            return [.. samples.Select(mode => new BenchmarkResult(mode.Case, Median(mode.Kernel), Median(mode.EndToEnd), Repetitions * Rounds,
                context.Device.Name, Median(mode.Preprocess), mode.QueriesInMainLoop, mode.KernelTelemetry, mode.EndToEndTelemetry,
                new HostEnqueueTimes(Median(mode.KernelHost), Median(mode.PreprocessHost), Median(mode.EndToEndHost)))
                { Timeline = mode.Timeline, EndToEndGraphs = mode.EndToEndGraphs })];
        }
        finally
        {
            foreach (var s in sets) { s.Q.Dispose(); s.K.Dispose(); s.V.Dispose(); }
        }
    }

    /// <summary>One mode's case and its launch times over all timed rounds.</summary>
    private sealed class ModeSamples(BenchmarkCase c, bool queriesInMainLoop)
    {
        public BenchmarkCase Case { get; } = c;
        public bool QueriesInMainLoop { get; } = queriesInMainLoop;
        public readonly List<double> Kernel = [], Preprocess = [], EndToEnd = [];
        public readonly List<double> KernelHost = [], PreprocessHost = [], EndToEndHost = [];
        public Telemetry.TelemetrySummary? KernelTelemetry, EndToEndTelemetry;
        public GraphReplayCounts EndToEndGraphs;
        public CtaTimeline? Timeline;
    }

    /// <summary>
    /// Times <paramref name="launch"/> after <see cref="EffectiveSettleSeconds"/> of the same launches, with
    /// <see cref="Telemetry"/> reading the device meanwhile when it is set.
    /// </summary>
    private (double[] Milliseconds, double[] HostMicroseconds, Telemetry.TelemetrySummary? Summary) Observed(Action<int> launch, Action? ahead)
    {
        Settle(launch);
        if (Telemetry is null)
        {
            var (ms, host) = Times(launch, ahead);
            return (ms, host, null);
        }
        var ((milliseconds, hostMicroseconds), summary) = Telemetry.Measure(() => Times(launch, ahead));
        return (milliseconds, hostMicroseconds, summary);
    }

    /// <summary>Times one launch, then queues enough more back to back to fill <see cref="EffectiveSettleSeconds"/>, and waits.</summary>
    private void Settle(Action<int> launch)
    {
        double seconds = EffectiveSettleSeconds;
        if (seconds == 0) return;
        using var start = CudaEvent.Create(context);
        using var end = CudaEvent.Create(context);
        launch(0);
        start.Record();
        launch(1);
        end.Record();
        int count = SettleLaunches(CudaEvent.ElapsedMilliseconds(start, end), seconds);
        for (int i = 0; i < count; i++) launch(i + 2);
        context.Synchronize();
    }

    /// <summary>Untimed calls before the timed ones: each input set's call twice (its first sighting and its capture).</summary>
    internal static int WarmUpCalls(int inputSets) => 2 * Math.Max(inputSets, 1);

    /// <summary>Launches of <paramref name="launchMilliseconds"/> each that fill <paramref name="seconds"/> (at least one, at most 100,000).</summary>
    internal static int SettleLaunches(double launchMilliseconds, double seconds)
    {
        if (!(launchMilliseconds > 0)) return 1; // an unmeasurably short launch: one
        return (int)Math.Clamp(Math.Ceiling(seconds * 1000 / launchMilliseconds), 1, 100_000);
    }

    /// <summary>The upper median (the element at index n / 2 of the sorted times, as for a single round before).</summary>
    private static double Median(List<double> times)
    {
        var sorted = times.ToArray();
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }

    /// <summary>
    /// One untimed launch, then <see cref="Repetitions"/> launches timed with CUDA events (milliseconds each), each after
    /// <paramref name="ahead"/> (the queue-ahead spin, or null); beside each, the host's time from the start event's
    /// record to the end event's (microseconds, a stopwatch): what the host spends enqueueing the timed work.
    /// </summary>
    private (double[] Milliseconds, double[] HostMicroseconds) Times(Action<int> launch, Action? ahead)
    {
        using var start = CudaEvent.Create(context);
        using var end = CudaEvent.Create(context);
        // Untimed first calls: two per input set, so that the e2e call replays its graphs when timed (CudaAttention.GraphReplay
        // runs a call's first sighting directly and captures its repeat), and the JIT has compiled the call's path.
        int warmUp = WarmUpCalls(InputSets);
        for (int i = 0; i < warmUp; i++) launch(i);
        context.Synchronize();
        var times = new double[Repetitions];
        var host = new double[Repetitions];
        for (int i = 0; i < Repetitions; i++)
        {
            ahead?.Invoke();
            long before = Stopwatch.GetTimestamp();
            start.Record();
            launch(warmUp + i);
            end.Record();
            host[i] = Stopwatch.GetElapsedTime(before).TotalMicroseconds;
            end.Synchronize();
            times[i] = CudaEvent.ElapsedMilliseconds(start, end);
        }
        return (times, host);
    }

    /// <summary>Roughly N(0,1) FP16 values from a fixed-seed LCG (fast for 10^9 elements; statistics do not matter here).</summary>
    private DeviceBuffer<ushort> RandomHalf(long count, int seed)
    {
        var bits = new ushort[count];
        Parallel.For(0, 64, part =>
        {
            long from = count * part / 64, to = count * (part + 1) / 64;
            uint x = (uint)(seed * 747796405 + part * 2891336453u + 1);
            for (long i = from; i < to; i++)
            {
                x = x * 1664525u + 1013904223u;
                float u = ((x >> 8) & 0xFFFF) / 32768f - 1f + ((x >> 24) / 128f - 1f);
                bits[i] = BitConverter.HalfToUInt16Bits((Half)u);
            }
        });
        return DeviceBuffer<ushort>.Upload(context, bits);
    }
}
