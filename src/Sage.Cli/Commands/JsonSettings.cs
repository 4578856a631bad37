using System.ComponentModel;
using Spectre.Console.Cli;

namespace Sage.Cli.Commands;

/// <summary>Settings shared by every command that can print JSON for scripts.</summary>
public class JsonSettings : CommandSettings
{
    [CommandOption("--json")]
    [Description("Print JSON for scripts instead of a table.")]
    public bool Json { get; init; }
}
