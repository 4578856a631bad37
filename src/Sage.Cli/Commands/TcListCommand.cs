using System.Text.Json;
using Sage.Emulation.TensorCores;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Sage.Cli.Commands;

/// <summary>`sage tc list`: the modelled tensor-core variants.</summary>
public sealed class TcListCommand : Command<TcListCommand.Settings>
{
    public sealed class Settings : JsonSettings;

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var variants = TensorCoreVariants.All;
        if (settings.Json)
        {
            var rows = variants.Select(v => new
            {
                name = v.Name, input = v.Input.ToString(), accumulator = v.Accumulator.ToString(), k = v.K,
                verifiedOnHardware = v.VerifiedOnHardware, provenance = v.Provenance,
            });
            Console.WriteLine(JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Success;
        }
        var table = new Table().AddColumns("variant", "input", "accumulator", "K", "verified on hardware");
        foreach (var v in variants)
            table.AddRow(Markup.Escape(v.Name), v.Input.ToString(), v.Accumulator.ToString(), v.K.ToString(),
                v.VerifiedOnHardware ? "[green]yes[/]" : "[yellow]no[/]");
        AnsiConsole.Write(table);
        foreach (var v in variants)
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(v.Name)}[/]: {Markup.Escape(v.Provenance)}");
        return ExitCodes.Success;
    }
}
