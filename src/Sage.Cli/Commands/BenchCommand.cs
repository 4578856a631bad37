using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Sage.Cuda;
using Sage.Cuda.Benchmarking;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Sage.Cli.Commands;

/// <summary>`sage bench`: the CUDA backend's speed table (CUDA events, median of repeated launches, rotating inputs).</summary>
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

        [CommandOption("--repetitions <N>")]
        [Description("Timed launches per case; the median is reported (default 10).")]
        public int Repetitions { get; init; } = 10;

        public override ValidationResult Validate()
        {
            if (Batch < 1 || Heads < 1 || Repetitions < 1) return ValidationResult.Error("--batch, --heads and --repetitions must be at least 1.");
            if (!TryParseList(Sequences, out _) ) return ValidationResult.Error($"--seq '{Sequences}' is not a comma-separated list of positive integers.");
            if (!TryParseList(HeadDims, out var dims) || dims.Any(d => !SageOptions.SupportedHeadDims.Contains(d)))
                return ValidationResult.Error($"--head-dim '{HeadDims}' must list head dims among {string.Join(", ", SageOptions.SupportedHeadDims)}.");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (!CudaDevice.IsAvailable(out string reason))
            throw new CudaUnavailableException(CudaComponent.Device, $"sage bench needs a CUDA device: {reason}", []);
        TryParseList(settings.Sequences, out var sequences);
        TryParseList(settings.HeadDims, out var dims);
        var options = new SageOptions { PvAccumulation = settings.Pv };
        var cases = (from d in dims from causal in new[] { false, true } from n in sequences
                     select new BenchmarkCase(settings.Batch, settings.Heads, n, d, causal, options)).ToList();

        using var cuda = CudaContext.Create();
        var bench = new AttentionBenchmark(cuda) { Repetitions = settings.Repetitions };
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
                causal = r.Case.Causal, pv = r.Case.Options.PvAccumulation.ToString(), repetitions = r.Repetitions,
                kernelMs = r.KernelMilliseconds, endToEndMs = r.EndToEndMilliseconds, kernelTflops = r.KernelTflops, endToEndTflops = r.EndToEndTflops,
            }), new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Success;
        }
        var table = new Table().Title($"{Markup.Escape(cuda.Device.Name)}: B={settings.Batch} H={settings.Heads} {settings.Pv}, median of {settings.Repetitions}")
            .AddColumns("d", "N", "causal", "kernel ms", "kernel TFLOPS", "e2e ms", "e2e TFLOPS");
        foreach (var r in results)
            table.AddRow(r.Case.HeadDim.ToString(), r.Case.SequenceLength.ToString(), r.Case.Causal ? "yes" : "no",
                F(r.KernelMilliseconds, "F3"), F(r.KernelTflops, "F1"), F(r.EndToEndMilliseconds, "F3"), F(r.EndToEndTflops, "F1"));
        AnsiConsole.Write(table);
        return ExitCodes.Success;
    }

    private static string F(double x, string format) => x.ToString(format, CultureInfo.InvariantCulture);

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
