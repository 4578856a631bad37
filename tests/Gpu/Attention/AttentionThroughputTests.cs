using Sage.Cuda.Benchmarking;
using Xunit;

namespace Sage.Gpu.Tests.Attention;

/// <summary>
/// Informational speed of the kernel (no assertion on speed: speed goals live in `sage bench` and docs/results):
/// B=4, H=32, d=128, FP16 inputs, through <see cref="AttentionBenchmark"/> (CUDA events, median, rotating inputs);
/// kernel-only and end-to-end. Lines go to the test output and attention-counts.txt.
/// </summary>
public sealed class AttentionThroughputTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(4096, false, false)]
    [InlineData(4096, true, false)]
    [InlineData(16384, false, false)]
    [InlineData(16384, true, false)]
    [InlineData(4096, false, true)]
    public void Throughput_B4_H32_d128(int n, bool causal, bool lse)
    {
        using var context = AttentionGpu.ContextOrSkip();
        var result = new AttentionBenchmark(context) { Repetitions = 5 }.Measure(new BenchmarkCase(4, 32, n, 128, causal, SageOptions.Default, lse));
        string line = $"throughput N={n} {(causal ? "causal" : "full")}{(lse ? " with LSE" : "")} B=4 H=32 d=128 Fp16TwoLevel: kernel-only {result.KernelMilliseconds:F3} ms = {result.KernelTflops:F1} TFLOPS; " +
                      $"end-to-end {result.EndToEndMilliseconds:F3} ms = {result.EndToEndTflops:F1} TFLOPS ({result.Device})";
        output.WriteLine(line);
        AttentionGpu.Report(line);
    }
}
