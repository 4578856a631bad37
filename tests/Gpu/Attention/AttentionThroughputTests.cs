using Sage.Cuda.Benchmarking;
using Xunit;

namespace Sage.Gpu.Tests.Attention;

/// <summary>
/// Informational speed of the kernel (no assertion on speed: speed goals live in `sage bench` and docs/results):
/// B=4, H=32, d=128, FP16 inputs, through <see cref="AttentionBenchmark"/> (CUDA events, median, rotating inputs);
/// kernel-only and end-to-end. Lines go to the test output and attention-counts.txt. The class runs alone
/// (<see cref="Interop.DeviceTimingCollection"/>): beside the other classes of the suite its readings were those of a
/// shared card (session 25: 2K causal "queued ahead" 0.90 ms in the suite against 0.37 ms from `sage bench`).
/// </summary>
[Collection(nameof(Interop.DeviceTimingCollection))]
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

    /// <summary>
    /// `sage bench --queue-ahead`: with a spin kernel queued before each timed launch, the three timings still come back
    /// positive and finite (the events then time the GPU alone; both readings are printed, nothing is asserted on speed).
    /// </summary>
    [Fact]
    public void Queued_ahead_launches_are_timed()
    {
        using var context = AttentionGpu.ContextOrSkip();
        var c = new BenchmarkCase(4, 32, 2048, 128, true, SageOptions.Default, false);
        var idle = new AttentionBenchmark(context) { Repetitions = 5 }.Measure(c);
        var queued = new AttentionBenchmark(context) { Repetitions = 5, QueueAheadMicroseconds = 200 }.Measure(c);
        foreach (double ms in new[] { queued.KernelMilliseconds, queued.EndToEndMilliseconds, queued.PreprocessMilliseconds })
            Assert.True(ms > 0 && double.IsFinite(ms), $"{ms} ms");
        // The host's enqueue time of each timed call is measured beside the events, queued ahead or not.
        foreach (var host in new[] { idle.HostEnqueue, queued.HostEnqueue })
        {
            Assert.NotNull(host);
            foreach (double us in new[] { host.KernelMicroseconds, host.PreprocessMicroseconds, host.EndToEndMicroseconds })
                Assert.True(us > 0 && double.IsFinite(us), $"{us} µs");
        }
        string line = $"2K causal d=128 end to end: {idle.EndToEndMilliseconds:F4} ms from an idle stream, {queued.EndToEndMilliseconds:F4} ms queued 200 µs ahead " +
                      $"(kernel-only {idle.KernelMilliseconds:F4} / {queued.KernelMilliseconds:F4}; host enqueue of the end-to-end call {idle.HostEnqueue!.EndToEndMicroseconds:F1} / " +
                      $"{queued.HostEnqueue!.EndToEndMicroseconds:F1} µs; {queued.Device})";
        output.WriteLine(line);
        AttentionGpu.Report(line);
    }
}
