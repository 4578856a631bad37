using System.Text.Json;
using Sage.Cuda;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Sage.Cli.Commands;

/// <summary>`sage info`: CUDA devices, NVRTC, kernel cache.</summary>
public sealed class InfoCommand : Command<InfoCommand.Settings>
{
    public sealed class Settings : JsonSettings;

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        bool available = CudaDevice.IsAvailable(out string reason);
        IReadOnlyList<CudaDeviceInfo> devices = available ? CudaDevice.Enumerate() : [];
        string cache = KernelCache.DefaultDirectory();
        bool hasNvrtc = NvrtcInfo.TryGet(out NvrtcInfo? nvrtc, out string nvrtcReason);
        if (settings.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { cudaAvailable = available, reason = available ? null : reason, devices, nvrtc, nvrtcReason = hasNvrtc ? null : nvrtcReason, kernelCache = cache },
                new JsonSerializerOptions { WriteIndented = true }));
            return ExitCodes.Success;
        }
        if (!available)
            AnsiConsole.MarkupLine($"[yellow]No CUDA device:[/] {Markup.Escape(reason)}");
        else
        {
            var table = new Table().AddColumns("#", "name", "arch", "SMs", "memory", "driver");
            foreach (var d in devices)
                table.AddRow(d.Ordinal.ToString(), Markup.Escape(d.Name), d.Architecture, d.MultiprocessorCount.ToString(),
                    $"{d.TotalMemoryBytes / (1L << 30)} GiB", Markup.Escape(d.DriverVersion));
            AnsiConsole.Write(table);
        }
        AnsiConsole.MarkupLine(hasNvrtc
            ? $"NVRTC {Markup.Escape(nvrtc!.Version)} ({Markup.Escape(nvrtc.LoadedFrom)}), targets sm_{string.Join(", sm_", nvrtc.SupportedArchitectures)}"
            : $"[yellow]No NVRTC:[/] {Markup.Escape(nvrtcReason)}");
        AnsiConsole.MarkupLine($"Kernel cache: {Markup.Escape(cache)}");
        return ExitCodes.Success;
    }
}
