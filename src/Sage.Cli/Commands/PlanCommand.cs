using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Sage.Emulation.Planning;
using Sage.Reference;
using Sage.Reference.Calibration;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Sage.Cli.Commands;

/// <summary>`sage plan`: per-layer accumulation modes for a calibration set, within an accuracy budget.</summary>
public sealed class PlanCommand : Command<PlanCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<CALIBRATION>")]
        [Description("A .safetensors file with <layer>.q/.k/.v tensors, or a folder of <layer>/{q,k,v}.npy.")]
        public string Calibration { get; init; } = "";

        [CommandOption("--layout <LAYOUT>")]
        [Description("Tensor layout: HND = [[B, H, N, D]] (default) or NHD = [[B, N, H, D]].")]
        public TensorLayout Layout { get; init; } = TensorLayout.HND;

        [CommandOption("--causal")]
        [Description("Plan the layers as causal attention (bottom-right aligned).")]
        public bool Causal { get; init; }

        [CommandOption("--budget-cosine <X>")]
        [Description("Lowest acceptable cosine similarity (default 0.998).")]
        public double? BudgetCosine { get; init; }

        [CommandOption("--budget-rel-l1 <Y>")]
        [Description("Highest acceptable relative L1 error (default 0.06).")]
        public double? BudgetRelativeL1 { get; init; }

        [CommandOption("--budget-rmse <Z>")]
        [Description("Highest acceptable RMSE, in output units (default: not limited).")]
        public double? BudgetRmse { get; init; }

        [CommandOption("--budget-max-abs <Z>")]
        [Description("Highest acceptable max |error|, in output units (default: not limited).")]
        public double? BudgetMaxAbs { get; init; }

        [CommandOption("--budget-file <FILE>")]
        [Description("JSON budget {\"minCosineSimilarity\":..,\"maxRelativeL1\":..,\"maxRmse\":..,\"maxAbsError\":..}; flags override it.")]
        public string? BudgetFile { get; init; }

        [CommandOption("--rows <N>")]
        [Description("Evaluate about N query rows per head (whole 128-row tiles spread over the sequence; exact for those rows). Default: all rows.")]
        public int? Rows { get; init; }

        [CommandOption("--all")]
        [Description("Measure every candidate, not only up to the first that fits the budget.")]
        public bool MeasureAll { get; init; }

        [CommandOption("--speeds <FILE>")]
        [Description("Speed table to order the modes by (JSON from `sage bench --modes all --json`). Default: the run recorded with the library (docs/accuracy-budget.md, docs/results/gpu-run-session35-2026-11-27.md).")]
        public string? Speeds { get; init; }

        [CommandOption("--target <TARGET>")]
        [Description("Backend the plan is for: cuda (default; only modes CudaAttention runs, so no INT4) or emulator (adds INT4 QK, marked emulator-only).")]
        public PlanTarget Target { get; init; } = PlanTarget.Cuda;

        [CommandOption("-o|--output <FILE>")]
        [Description("Where to write the plan (default plan.json).")]
        public string Output { get; init; } = "plan.json";

        [CommandOption("--json")]
        [Description("Print the plan as JSON on standard output instead of tables.")]
        public bool Json { get; init; }

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Calibration)) return ValidationResult.Error("CALIBRATION is required.");
            if (Rows is < 1) return ValidationResult.Error($"--rows must be at least 1; got {Rows}.");
            if (BudgetCosine is { } c && !(c is >= -1 and <= 1)) return ValidationResult.Error($"--budget-cosine must be in [-1, 1]; got {c}.");
            if (BudgetRelativeL1 is { } l && !(l >= 0)) return ValidationResult.Error($"--budget-rel-l1 must be 0 or more; got {l}.");
            if (BudgetRmse is { } r && !(r >= 0)) return ValidationResult.Error($"--budget-rmse must be 0 or more; got {r}.");
            if (BudgetMaxAbs is { } m && !(m >= 0)) return ValidationResult.Error($"--budget-max-abs must be 0 or more; got {m}.");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        AccuracyBudget budget;
        CalibrationSet set;
        ModeSpeedTable speeds;
        try
        {
            speeds = settings.Speeds is null ? ModeSpeedTable.Recorded : ModeSpeedTable.Load(settings.Speeds);
            budget = ResolveBudget(settings);
            set = CalibrationSet.Open(settings.Calibration, settings.Layout, settings.Causal);
        }
        catch (Exception e) when (e is CalibrationFormatException or FormatException or FileNotFoundException or IOException or ArgumentException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        if (set.Count == 0)
        {
            Console.Error.WriteLine($"error: {settings.Calibration}: no layer found (expected <layer>.q/.k/.v tensors or <layer>/q.npy, k.npy, v.npy).");
            return ExitCodes.BadInput;
        }

        var planner = new ModePlanner(budget)
        {
            SampledRows = settings.Rows, MeasureAll = settings.MeasureAll, Target = settings.Target,
            Candidates = ModeSpeeds.CandidatesFor(settings.Target, speeds), SpeedTable = ModeSpeeds.Describe(speeds),
        };
        var layers = set.Select(l => new PlanLayerInput(l.Name, l.Problem, l.Q, l.K, l.V));
        var watch = Stopwatch.StartNew();
        Plan plan;
        try
        {
            if (settings.Json) plan = planner.Plan(layers, set.Count, null, cancellationToken);
            else
            {
                plan = null!;
                AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask("planning", maxValue: set.Count);
                        var progress = new SynchronousProgress<PlanProgress>(p =>
                        {
                            task.Description = Markup.Escape($"{p.LayerName} ({p.Layer + 1}/{p.LayerCount}): {p.Step}");
                            if (p.Step == "done") task.Value = p.Layer + 1;
                        });
                        plan = planner.Plan(layers, set.Count, progress, cancellationToken);
                    });
            }
        }
        catch (CalibrationFormatException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        double seconds = watch.Elapsed.TotalSeconds;
        try
        {
            plan.Save(settings.Output);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: cannot write the plan to '{settings.Output}': {e.Message}");
            return ExitCodes.BadInput;
        }

        if (settings.Json)
        {
            Console.WriteLine(plan.ToJson());
            return ExitCodes.Success;
        }
        if (set.Ignored.Count > 0)
            AnsiConsole.MarkupLine($"[yellow]note:[/] ignored {set.Ignored.Count} entries that belong to no layer: {Markup.Escape(string.Join(", ", set.Ignored.Take(5)))}{(set.Ignored.Count > 5 ? ", ..." : "")}");
        AnsiConsole.Write(SummaryTable(plan));
        var counts = plan.Layers.GroupBy(l => l.Mode).Select(g => $"{g.Key} × {g.Count()}");
        AnsiConsole.MarkupLine(Markup.Escape(
            $"budget: cosine ≥ {plan.Budget.MinCosineSimilarity}, rel L1 ≤ {plan.Budget.MaxRelativeL1}" +
            (plan.Budget.MaxRmse is { } r ? $", RMSE ≤ {r}" : "") + (plan.Budget.MaxAbsError is { } m ? $", max err ≤ {m}" : "")));
        AnsiConsole.MarkupLine(Markup.Escape($"plan: {string.Join(", ", counts)}; {plan.Layers.Count} layers in {seconds:F1} s"
            + (settings.Rows is { } rows ? $" (about {rows} query rows per head sampled)" : "")));
        AnsiConsole.MarkupLine($"written to [bold]{Markup.Escape(settings.Output)}[/]");
        AnsiConsole.MarkupLine(Markup.Escape($"target: {plan.Target}; modes ordered by the speed table: {plan.SpeedTable}"));
        AnsiConsole.MarkupLine(Markup.Escape("order: " + string.Join(" > ", plan.Candidates.Select(c => $"{c.Name} ({c.RelativeSpeed:F2}x{(c.SpeedMeasured ? "" : ", estimate")})"))));
        return ExitCodes.Success;
    }

    private static Table SummaryTable(Plan plan)
    {
        var table = new Table().Title("per-layer plan").AddColumns("layer", "shape", "rows", "mode", "cosine", "rel L1", "max err", "rejected faster modes");
        foreach (var layer in plan.Layers)
        {
            var chosen = layer.Measurements.FirstOrDefault(m => m.Mode == layer.Mode);
            var rejected = layer.Measurements.TakeWhile(m => m.Mode != layer.Mode).Select(m => $"{m.Mode}: {string.Join("; ", m.Violations)}");
            string mode = layer.FullPrecision ? $"[yellow]{Markup.Escape(layer.Mode)}[/]" : $"[green]{Markup.Escape(layer.Mode)}[/]";
            table.AddRow(Markup.Escape(layer.Name), Markup.Escape(layer.Shape.ToString()),
                layer.SampledRowsPerHead == layer.QueryLength ? "all" : $"{layer.SampledRowsPerHead}/{layer.QueryLength}",
                mode, F(chosen?.CosineSimilarity, "F6"), F(chosen?.RelativeL1, "F4"), F(chosen?.MaxAbsError, "F4"),
                Markup.Escape(string.Join("\n", rejected)));
        }
        return table;
    }

    private static string F(double? x, string format) =>
        x is not { } v ? "-" : double.IsNaN(v) ? "[red]NaN[/]" : v.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>Default budget, overridden by the budget file, overridden by the flags.</summary>
    public static AccuracyBudget ResolveBudget(Settings settings)
    {
        var budget = AccuracyBudget.Default;
        if (settings.BudgetFile is { } file)
        {
            PlanBudget? fromFile;
            try
            {
                fromFile = JsonSerializer.Deserialize<PlanBudget>(File.ReadAllText(file), Plan.JsonOptions);
            }
            catch (JsonException e)
            {
                throw new FormatException($"{file}: not a budget file: {e.Message}", e);
            }
            budget = fromFile?.ToAccuracyBudget() ?? throw new FormatException($"{file}: the budget JSON is null.");
        }
        return budget with
        {
            MinCosineSimilarity = settings.BudgetCosine ?? budget.MinCosineSimilarity,
            MaxRelativeL1 = settings.BudgetRelativeL1 ?? budget.MaxRelativeL1,
            MaxRmse = settings.BudgetRmse ?? budget.MaxRmse,
            MaxAbsError = settings.BudgetMaxAbs ?? budget.MaxAbsError,
        };
    }

    /// <summary>IProgress that reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
