namespace Sage.Cuda.Benchmarking;

/// <summary>Median times (CUDA events) of one case: kernel-only (main loop on pre-processed inputs) and end-to-end.</summary>
public sealed record BenchmarkResult(BenchmarkCase Case, double KernelMilliseconds, double EndToEndMilliseconds, int Repetitions, string Device)
{
    public double KernelTflops => Case.Flops / KernelMilliseconds / 1e9;
    public double EndToEndTflops => Case.Flops / EndToEndMilliseconds / 1e9;
}
