using System.ComponentModel;
using System.Text.Json;
using System.Text.RegularExpressions;
using Sage.Cuda;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Sage.Cli.Commands;

/// <summary>
/// `sage kernels`: every kernel compiled as the backend compiles it (NVRTC, the same options), with its SASS counted:
/// registers, stack and local memory, instructions, R2UR, spill accesses, wgmma and MUFU. Needs NVRTC and the toolkit's
/// cuobjdump, no GPU. Run it before and after touching a kernel: ptxas's placement has moved the main loop by several
/// percent with no change in the arithmetic.
/// </summary>
public sealed class KernelsCommand : Command<KernelsCommand.Settings>
{
    public sealed class Settings : JsonSettings
    {
        [CommandOption("--filter <REGEX>")]
        [Description("Only kernels whose name matches this regular expression (e.g. 'd128_fp16_two_level').")]
        public string? Filter { get; init; }

        [CommandOption("--program <REGEX>")]
        [Description("Only the programs (kernel source files, e.g. 'attention_solo_loglinear') whose resource name matches this regular expression are compiled; the others are skipped. With --define every program recompiles, and the dozen programs take minutes of NVRTC.")]
        public string? Program { get; init; }

        [CommandOption("--arch <ARCH>")]
        [Description("Target architecture (default: the first GPU's, else sm_90a).")]
        public string? Architecture { get; init; }

        [CommandOption("--out <DIR>")]
        [Description("Also write the cubin of each program with a listed kernel to this folder.")]
        public string? Output { get; init; }

        [CommandOption("--define <NAME[=VALUE]>")]
        [Description("A schedule macro for every program, as NVRTC's -D (repeatable; SAGE_ names only, e.g. --define SAGE_CAUSAL_TAIL=0): what SAGE_KERNEL_DEFINES gives the backend.")]
        public string[] Defines { get; init; } = [];

        [CommandOption("--sass")]
        [Description("With --out: also write each listed kernel's SASS to <DIR>/<program>.<kernel>.sass (the main loop's two programs, one per P encoding, hold kernels of the same names).")]
        public bool Sass { get; init; }

        public override ValidationResult Validate()
        {
            if (Filter is not null)
            {
                try { _ = new Regex(Filter); }
                catch (ArgumentException e) { return ValidationResult.Error($"--filter '{Filter}' is not a regular expression: {e.Message}"); }
            }
            if (Program is not null)
            {
                try { _ = new Regex(Program); }
                catch (ArgumentException e) { return ValidationResult.Error($"--program '{Program}' is not a regular expression: {e.Message}"); }
            }
            if (Architecture is not null && !Regex.IsMatch(Architecture, "^sm_[0-9]+a?$"))
                return ValidationResult.Error($"--arch '{Architecture}' must look like sm_90a.");
            if (Sass && Output is null) return ValidationResult.Error("--sass writes into the --out folder; give --out DIR.");
            if (KernelDefines.Refusal(string.Join(' ', Defines), "--define") is { } refusal) return ValidationResult.Error(refusal);
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // Every embedded program, as CompileEverythingTests compiles them, or those --program names (checked before the
        // toolkit is looked for); --filter narrows the kernels shown.
        IReadOnlyList<string> programs;
        try { programs = SelectPrograms(KernelSource.ListEmbedded(typeof(CudaContext).Assembly), settings.Program); }
        catch (ArgumentException e)
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
            return ExitCodes.BadInput;
        }
        string architecture = settings.Architecture
            ?? (CudaDevice.IsAvailable(out _) ? CudaDevice.Enumerate()[0].Architecture : "sm_90a");
        var disassembler = SassDisassembler.Locate();
        var compiler = new KernelCompiler();
        var defines = KernelDefines.Parse(string.Join(' ', settings.Defines), "--define");
        var filter = settings.Filter is null ? null : new Regex(settings.Filter);
        if (settings.Output is not null) Directory.CreateDirectory(settings.Output);
        var rows = new List<(string Program, SassFunctionSummary Kernel)>();
        foreach (string resource in programs)
        {
            var compiled = compiler.Compile(KernelSource.FromEmbedded(typeof(CudaContext).Assembly, resource), architecture, defines);
            // NVRTC's log (ptxas's warnings included, e.g. wgmma serialised around a branch) would otherwise be lost on a
            // successful compile; a cache hit has none. Standard error, so that --json stays parseable.
            if (!string.IsNullOrWhiteSpace(compiled.Log))
                Console.Error.WriteLine($"NVRTC log of {compiled.ProgramName}:{Environment.NewLine}{compiled.Log.TrimEnd()}");
            var (sass, usage) = disassembler.Disassemble(compiled);
            var usageByName = SassText.ResourceUsage(usage);
            var listed = SassText.Functions(sass).Where(listing => filter is null || filter.IsMatch(listing.Name)).ToList();
            // Only the programs the filter keeps: the folder is read by people and copied off GPU machines, so the other
            // dozen programs' cubins were noise there (session 20: they crowded out the SASS files).
            if (settings.Output is not null && listed.Count > 0)
                File.WriteAllBytes(Path.Combine(settings.Output, compiled.ProgramName + ".cubin"), compiled.Image);
            foreach (var listing in listed)
            {
                rows.Add((compiled.ProgramName, SassText.Summarise(listing, usageByName)));
                if (settings.Sass) File.WriteAllText(Path.Combine(settings.Output!, $"{compiled.ProgramName}.{listing.Name}.sass"), listing.Text);
            }
        }
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(rows.Select(r => new
            {
                program = r.Program, kernel = r.Kernel.Name, registers = r.Kernel.Registers, stackBytes = r.Kernel.StackBytes,
                localBytes = r.Kernel.LocalBytes,
                instructions = r.Kernel.Instructions, r2ur = r.Kernel.R2ur, localAccesses = r.Kernel.LocalAccesses,
                wgmma = r.Kernel.Wgmma, mufu = r.Kernel.Mufu, largestLoop = r.Kernel.LargestLoop, opcodes = r.Kernel.Opcodes,
            }), new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Success;
        }
        var table = new Table().AddColumns("program", "kernel", "registers", "stack+local B", "instructions", "largest loop", "R2UR", "STL+LDL", "wgmma", "MUFU");
        foreach (var (program, k) in rows)
            table.AddRow(Markup.Escape(program), Markup.Escape(k.Name), k.Registers?.ToString() ?? "-", k.LocalMemoryBytes?.ToString() ?? "-", k.Instructions.ToString(),
                k.LargestLoop.ToString(), k.R2ur.ToString(), k.LocalAccesses.ToString(), k.Wgmma.ToString(), k.Mufu.ToString());
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"{rows.Count} kernels for {Markup.Escape(architecture)} ({Markup.Escape(disassembler.Executable)})" +
                               (defines.Count > 0 ? $", {Markup.Escape(string.Join(' ', defines))}" : ""));
        return ExitCodes.Success;
    }

    /// <summary>
    /// The embedded programs <c>--program</c> keeps (all of them without a pattern), in their listed order; a pattern that
    /// matches none is refused with the names there are.
    /// </summary>
    public static IReadOnlyList<string> SelectPrograms(IReadOnlyList<string> resources, string? pattern)
    {
        if (pattern is null) return resources;
        var regex = new Regex(pattern);
        var kept = resources.Where(r => regex.IsMatch(r)).ToList();
        if (kept.Count == 0)
            throw new ArgumentException($"--program '{pattern}' matches no kernel program; the programs are: {string.Join(", ", resources)}.");
        return kept;
    }
}
