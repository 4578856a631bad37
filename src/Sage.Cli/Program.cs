using Sage.Cli;
using Sage.Cli.Commands;
using Spectre.Console;
using Spectre.Console.Cli;

// Redirected output (CI logs, pipes) gets a wide, fixed table width instead of Spectre's 80-column default.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 160;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("sage");
    config.PropagateExceptions();
    config.AddCommand<VerifyCommand>("verify")
        .WithDescription("Emulator vs. float64 reference on built-in data families, every mode, with the budget verdict.")
        .WithExample("verify")
        .WithExample("verify", "--seq", "2048", "--json");
    config.AddBranch("tc", tc =>
    {
        tc.SetDescription("Tensor-core arithmetic models.");
        tc.AddCommand<TcListCommand>("list")
            .WithDescription("List the modelled tensor-core variants and whether each was verified on hardware.")
            .WithExample("tc", "list");
        tc.AddCommand<TcDotCommand>("dot")
            .WithDescription("Evaluate dot products exactly as the named tensor-core variant does.")
            .WithExample("tc", "dot", "--variant", "wgmma.e4m3.f32", "--input", "cases.txt");
    });
    config.AddBranch("study", study =>
    {
        study.SetDescription("Numerical studies behind the kernel's choices.");
        study.AddCommand<StudyCommand>("fp16-accum")
            .WithDescription("FP16 vs FP32 accumulation of P·V: overflow, error, and why 1.125 is the largest safe V bound for the kernel's 128-token FP16 blocks (2.25 for 64-token blocks); PNG plots and a markdown table.")
            .WithExample("study", "fp16-accum", "-o", "study")
            .WithExample("study", "fp16-accum", "--json");
    });
    config.AddCommand<PlanCommand>("plan")
        .WithDescription("Choose each layer's fastest accumulation mode within an accuracy budget, from a calibration set.")
        .WithExample("plan", "calib.safetensors", "-o", "plan.json")
        .WithExample("plan", "calib/", "--layout", "NHD", "--budget-cosine", "0.999", "--rows", "512", "--json");
    config.AddCommand<BenchCommand>("bench")
        .WithDescription("Speed of the CUDA backend: kernel-only and end-to-end TFLOPS (CUDA events, median, rotating inputs).")
        .WithExample("bench")
        .WithExample("bench", "--seq", "2048,8192", "--head-dim", "128", "--json")
        .WithExample("bench", "--modes", "all", "--json");
    config.AddCommand<KernelsCommand>("kernels")
        .WithDescription("Every CUDA kernel as the backend compiles it, with its SASS counted (registers, spills, largest loop, R2UR, wgmma, MUFU) and NVRTC's log (ptxas's notes, e.g. serialised wgmma) on standard error; needs NVRTC and cuobjdump.")
        .WithExample("kernels", "--filter", "d128_fp16_two_level")
        .WithExample("kernels", "--json", "--out", "cubins")
        .WithExample("kernels", "--filter", "_share$", "--out", "sass", "--sass");
    config.AddCommand<InfoCommand>("info")
        .WithDescription("CUDA devices, driver and NVRTC, kernel cache folder.")
        .WithExample("info", "--json");
});

try
{
    return app.Run(args);
}
catch (CommandAppException e)
{
    AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
    return ExitCodes.BadInput;
}
catch (Exception e) when (e is ArgumentException or FormatException or FileNotFoundException or NotSupportedException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return ExitCodes.BadInput;
}
catch (Sage.Cuda.CudaUnavailableException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return ExitCodes.NoCuda;
}
