using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Sage.Cli.Study;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Sage.Cli.Commands;

/// <summary>`sage study fp16-accum`: FP16 vs FP32 accumulation of P·V, overflow and error, with plots and tables.</summary>
public sealed class StudyCommand : Command<StudyCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("-o|--output <DIR>")]
        [Description("Folder for the PNG plots and the markdown table (default study-fp16-accum).")]
        public string Output { get; init; } = "study-fp16-accum";

        [CommandOption("--rows <N>")]
        [Description("Random rows per overflow family (default 1000).")]
        public int RandomRows { get; init; } = 1000;

        [CommandOption("--json")]
        [Description("Print the results as JSON instead of tables.")]
        public bool Json { get; init; }

        [CommandOption("--p-encoding <ENCODING>")]
        [Description("How P becomes E4M3 codes in the softmax rows and the error sweep: Exp2 (default: the exact value rounded to nearest) or LogLinear (the code read off the argument, as the kernel does it; docs/kernel-spec.md §7).")]
        public PEncoding PEncoding { get; init; } = PEncoding.Exp2;

        public override ValidationResult Validate()
        {
            if (RandomRows is < 1 or > 1_000_000) return ValidationResult.Error($"--rows must be between 1 and 1000000; got {RandomRows}.");
            if (!Enum.IsDefined(PEncoding))
                return ValidationResult.Error($"--p-encoding must be one of {string.Join(", ", Enum.GetNames<PEncoding>())}; got {PEncoding}.");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        IReadOnlyList<OverflowRow> overflow = [];
        IReadOnlyList<SafeBoundRow> safe = [];
        IReadOnlyList<ErrorRow> errors = [];
        void Run(Action<string>? step)
        {
            step?.Invoke("largest safe bounds");
            safe = Fp16AccumulationStudy.LargestSafeBounds();
            step?.Invoke("overflow counts");
            overflow = Fp16AccumulationStudy.OverflowTable(settings.RandomRows, encoding: settings.PEncoding);
            step?.Invoke("error sweep");
            errors = Fp16AccumulationStudy.ErrorSweep(encoding: settings.PEncoding);
        }
        if (settings.Json) Run(null);
        else
            AnsiConsole.Progress().AutoClear(true).Start(ctx =>
            {
                var task = ctx.AddTask("study", maxValue: 3);
                Run(label => { task.Description = label; task.Increment(1); });
            });

        string boundsPng = Path.Combine(settings.Output, "fp16-accum-bounds.png");
        string errorsPng = Path.Combine(settings.Output, "fp16-accum-error.png");
        string markdown = Path.Combine(settings.Output, "fp16-accum.md");
        try
        {
            Directory.CreateDirectory(settings.Output);
            StudyPlots.Bounds(boundsPng);
            StudyPlots.Errors(errorsPng, errors);
            File.WriteAllText(markdown, StudyMarkdown.Write(overflow, safe, errors, settings.PEncoding));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: cannot write to '{settings.Output}': {e.Message}");
            return ExitCodes.BadInput;
        }
        double seconds = watch.Elapsed.TotalSeconds;

        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                models = new[] { Fp16AccumulationStudy.Fp16Model.Name, Fp16AccumulationStudy.Fp32Model.Name },
                pEncoding = settings.PEncoding.ToString(),
                largestSafeBounds = safe,
                overflow,
                errors,
                files = new[] { boundsPng, errorsPng, markdown },
                seconds,
            }, new JsonSerializerOptions
            {
                WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
                NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
                Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
            }));
            return ExitCodes.Success;
        }

        var safeTable = new Table().Title("largest V bound with no FP16 overflow").AddColumns("block tokens", "largest safe E4M3 bound", "next E4M3 (overflows)", "65504/(448·block)");
        foreach (var r in safe) safeTable.AddRow(I(r.BlockTokens), I(r.LargestSafeBound), I(r.NextE4M3), r.ExactLimit.ToString("F4", CultureInfo.InvariantCulture));
        AnsiConsole.Write(safeTable);
        var overflowTable = new Table().Title("FP16 accumulator overflows").AddColumns("V bound", "as E4M3", "block", "worst-case sum", "adversarial", "flat P, V≥0", "softmax P", "safe");
        foreach (var r in overflow)
            overflowTable.AddRow(I(Math.Round(r.VBound, 4)), I(r.VBoundE4M3), I(r.BlockTokens), I(r.WorstCaseSum), $"{r.AdversarialOverflows}/2",
                $"{r.SameSignOverflows}/{r.RandomRows}", $"{r.SoftmaxOverflows}/{r.RandomRows}", r.Safe ? "[green]yes[/]" : "[red]no[/]");
        AnsiConsole.Write(overflowTable);
        var errorTable = new Table().Title($"accumulation error, score σ = 1, Gaussian V, P encoding {settings.PEncoding} (all points in the markdown)").AddColumns("N", "block", "acc", "mean acc. error", "mean total error", "mean normalised error", "overflows");
        foreach (var r in errors.Where(r => r.ScoreSigma == 1 && r.VDistribution == "gaussian"))
            errorTable.AddRow(I(r.SequenceLength), I(r.BlockTokens), r.Accumulator, r.MeanAccumulationError.ToString("E2", CultureInfo.InvariantCulture),
                r.MeanTotalError.ToString("E2", CultureInfo.InvariantCulture), r.MeanNormalizedError.ToString("E2", CultureInfo.InvariantCulture),
                $"{r.Overflows}/{r.Rows}");
        AnsiConsole.Write(errorTable);
        AnsiConsole.MarkupLine(Markup.Escape($"wrote {boundsPng}, {errorsPng}, {markdown} in {seconds:F1} s"));
        return ExitCodes.Success;
    }

    private static string I(double x) => x.ToString(CultureInfo.InvariantCulture);
}
