using System.ComponentModel;
using Sage.Cli.TensorCores;
using Sage.Emulation.TensorCores;
using Spectre.Console.Cli;

namespace Sage.Cli.Commands;

/// <summary>`sage tc dot`: dot products exactly as a tensor-core variant computes them.</summary>
public sealed class TcDotCommand : Command<TcDotCommand.Settings>
{
    public sealed class Settings : JsonSettings
    {
        [CommandOption("--variant <NAME>")]
        [Description("Tensor-core variant (see `sage tc list`).")]
        public string? Variant { get; init; }

        [CommandOption("--input <FILE>")]
        [Description("Input file, one case per line `a1,...,aK;b1,...,bK;c` (float32 bit patterns in 8 hex digits). Default: standard input.")]
        public string? Input { get; init; }

        public override Spectre.Console.ValidationResult Validate() =>
            string.IsNullOrWhiteSpace(Variant)
                ? Spectre.Console.ValidationResult.Error("--variant is required; `sage tc list` names the variants.")
                : Spectre.Console.ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        IDotProductModel variant = TensorCoreVariants.Get(settings.Variant!);
        using TextReader reader = settings.Input is null ? Console.In : OpenInput(settings.Input);
        // Parse every line before printing anything, so a bad line never leaves a partial result on stdout.
        List<DotCase> cases = DotCaseReader.Read(reader, variant).ToList();
        if (settings.Json)
        {
            var rows = cases.Select(c => new { line = c.Line, result = Evaluate(variant, c).ToString("x8") });
            Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { variant = variant.Name, verifiedOnHardware = variant.VerifiedOnHardware, results = rows }));
            return ExitCodes.Success;
        }
        var output = Console.Out;
        foreach (DotCase dot in cases)
            output.WriteLine(Evaluate(variant, dot).ToString("x8"));
        return ExitCodes.Success;
    }

    /// <summary>The result's 32-bit pattern: a float32 (FP16 results widened exactly), or the int32 of integer variants.</summary>
    public static uint Evaluate(IDotProductModel variant, DotCase dot)
    {
        if (variant.Accumulator == MmaAccumulator.Int32)
        {
            var a = dot.A.Select(x => (sbyte)x).ToArray();
            var b = dot.B.Select(x => (sbyte)x).ToArray();
            return unchecked((uint)variant.DotInt32(a, b, (int)dot.C));
        }
        return BitConverter.SingleToUInt32Bits(variant.Dot(dot.A, dot.B, dot.C));
    }

    private static StreamReader OpenInput(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--input file '{path}' does not exist.", path);
        return new StreamReader(path);
    }
}
