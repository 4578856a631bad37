using System.Diagnostics;
using System.Reflection;
using Sage.Reference;

namespace Sage.Emulation.Planning;

/// <summary>
/// Chooses, per layer, the fastest accumulation mode whose emulated output stays within an
/// <see cref="AccuracyBudget"/> of the float64 reference, or full-precision attention when none does.
/// </summary>
/// <remarks>
/// <para>Per layer: the reference is computed once, then the candidates of <see cref="Candidates"/> are emulated
/// fastest first; the first admitted one is chosen (with <see cref="MeasureAll"/> the rest are still measured for
/// the report). The float64 reference is computed once per layer and shared by every candidate. Layers run one after
/// another; the reference and the emulator are parallel inside (over KV heads' query tiles and over query tiles), so
/// every run uses all cores and no two runs compete for them.</para>
/// <para>With <see cref="SampledRows"/> set, only that many query rows per (batch, head), rounded up to whole
/// 128-row kernel tiles spread over the sequence, are evaluated (see <see cref="QueryTileSample"/>): exact for those
/// rows, and the cost falls in proportion.</para>
/// </remarks>
public sealed class ModePlanner
{
    private readonly PvModelSet _models;

    public ModePlanner(AccuracyBudget budget) : this(budget, PvModelSet.Measured()) { }

    public ModePlanner(AccuracyBudget budget, PvModelSet models)
    {
        ArgumentNullException.ThrowIfNull(budget);
        ArgumentNullException.ThrowIfNull(models);
        Budget = budget;
        _models = models;
    }

    public AccuracyBudget Budget { get; }

    /// <summary>Candidates fastest first; the last must be the full-precision fallback (default: <see cref="ModeSpeeds.Candidates"/>).</summary>
    public IReadOnlyList<PlanCandidate> Candidates { get; init; } = ModeSpeeds.Candidates;

    /// <summary>The backend the plan is for, recorded in the plan (the candidates decide what is offered; see <see cref="ModeSpeeds.CandidatesFor"/>).</summary>
    public PlanTarget Target { get; init; } = PlanTarget.Cuda;

    /// <summary>The speed table the candidates come from, recorded in the plan (default: the recorded run of our kernel).</summary>
    public string SpeedTable { get; init; } = ModeSpeeds.Describe(ModeSpeedTable.Recorded);

    /// <summary>Query rows per (batch, head) to evaluate (rounded up to whole tiles); null: all rows.</summary>
    public int? SampledRows { get; init; }

    /// <summary>Measure every candidate, not only up to the first admitted one.</summary>
    public bool MeasureAll { get; init; }

    /// <summary>Worker threads of the reference and the emulator (default: all cores). They run one after the other,
    /// each over all workers, so the cores are neither idle nor oversubscribed.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    /// <summary>The tool version recorded in plans.</summary>
    public static string ToolVersion
    {
        get
        {
            var assembly = typeof(ModePlanner).Assembly;
            string version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                ?? assembly.GetName().Version?.ToString() ?? "unknown";
            return $"Sage.Emulation {version}";
        }
    }

    /// <summary>Plans every layer in order.</summary>
    public Plan Plan(IEnumerable<PlanLayerInput> layers, int layerCount, IProgress<PlanProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layers);
        CheckCandidates();
        var planned = new List<LayerPlan>();
        int index = 0;
        foreach (var layer in layers)
        {
            cancellationToken.ThrowIfCancellationRequested();
            planned.Add(PlanLayer(layer, index, Math.Max(layerCount, index + 1), progress, cancellationToken));
            index++;
        }
        return new Plan
        {
            Tool = ToolVersion,
            Created = DateTimeOffset.UtcNow,
            Budget = PlanBudget.From(Budget),
            SampledRowsRequested = SampledRows,
            Target = Target,
            SpeedTable = SpeedTable,
            Candidates = Candidates.Select(PlanCandidateInfo.From).ToArray(),
            Layers = planned,
        };
    }

    /// <summary>Plans every layer of a list.</summary>
    public Plan Plan(IReadOnlyList<PlanLayerInput> layers, IProgress<PlanProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Plan(layers, layers.Count, progress, cancellationToken);

    /// <summary>Plans one layer.</summary>
    public LayerPlan PlanLayer(PlanLayerInput layer, int index = 0, int layerCount = 1, IProgress<PlanProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layer);
        CheckCandidates();
        var problem = layer.Problem;
        problem.CheckInputs(layer.Q, layer.K, layer.V);
        var sample = QueryTileSample.Strided(problem.Shape.QueryLength, SampledRows);

        progress?.Report(new PlanProgress(index, layerCount, layer.Name, "reference"));
        var referenceWatch = Stopwatch.StartNew();
        double[] exact = sample.IsComplete
            ? new ReferenceAttention { MaxDegreeOfParallelism = MaxDegreeOfParallelism }.Compute(problem, layer.Q, layer.K, layer.V).Output
            : SampledAttention.Reference(problem, layer.Q, layer.K, layer.V, sample, MaxDegreeOfParallelism);

        double referenceSeconds = referenceWatch.Elapsed.TotalSeconds;
        var measurements = new List<CandidateMeasurement>();
        PlanCandidate? chosen = null;
        foreach (var candidate in Candidates)
        {
            if (candidate.IsFallback) break;
            if (chosen is not null && !MeasureAll) break;
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report(new PlanProgress(index, layerCount, layer.Name, candidate.Name));
            var watch = Stopwatch.StartNew();
            var options = candidate.Options!;
            options.Validate(problem);
            float[] actual = sample.IsComplete
                ? new EmulatedAttention(_models) { MaxDegreeOfParallelism = MaxDegreeOfParallelism }
                    .Run(problem, layer.Q, layer.K, layer.V, options).Output.ToSingleArray()
                : SampledAttention.Emulate(problem, layer.Q, layer.K, layer.V, options, sample, _models, MaxDegreeOfParallelism);
            var measurement = Measure(candidate.Name, exact, actual, watch.Elapsed.TotalSeconds);
            measurements.Add(measurement);
            if (chosen is null && measurement.Admitted) chosen = candidate;
        }

        var fallback = Candidates[^1];
        if (chosen is null || MeasureAll)
        {
            // The fallback is exact attention rounded once to its output type: a lower bound on a real FP16 kernel's
            // error, measured so that the report shows what the layer gets when nothing quantised fits.
            var rounded = new float[exact.Length];
            for (int i = 0; i < rounded.Length; i++) rounded[i] = (float)(Half)exact[i];
            measurements.Add(Measure(fallback.Name, exact, rounded, 0) with { Admitted = true, Violations = [] });
        }
        chosen ??= fallback;
        progress?.Report(new PlanProgress(index, layerCount, layer.Name, "done"));
        return new LayerPlan(layer.Name, PlannedShape.From(problem.Shape), problem.Causal, chosen.Name,
            chosen.Options is null ? null : PlannedOptions.From(chosen.Options), sample.RowsPerHead, problem.Shape.QueryLength, measurements)
        {
            ReferenceSeconds = referenceSeconds,
        };
    }

    private CandidateMeasurement Measure(string mode, double[] exact, float[] actual, double seconds)
    {
        var report = AccuracyMetrics.Compare(exact, actual);
        var violations = Budget.Violations(report);
        return new CandidateMeasurement(mode, report.CosineSimilarity, report.RelativeL1, report.Rmse, report.MaxAbsError, report.Count,
            violations.Count == 0, violations, seconds);
    }

    private void CheckCandidates()
    {
        if (Candidates.Count == 0 || !Candidates[^1].IsFallback || Candidates.Take(Candidates.Count - 1).Any(c => c.IsFallback))
            throw new ArgumentException(
                $"Candidates must end with exactly one full-precision fallback (Options null); got [{string.Join(", ", Candidates.Select(c => c.Name))}].",
                nameof(Candidates));
    }
}
