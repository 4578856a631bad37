namespace Sage.Cuda.Benchmarking;

/// <summary>
/// Median times (CUDA events) of one case: kernel-only (main loop on pre-processed inputs, the production main loop:
/// with its own Q quantisation when <see cref="QueriesInMainLoop"/>), pre-processing alone
/// (<see cref="Preprocessing.GpuPreprocessor.Preprocess(AttentionProblem, SageOptions, Preprocessing.DeviceTensor, Preprocessing.DeviceTensor, Preprocessing.DeviceTensor, CudaStream?, bool)"/>
/// with its allocations and releases, as the e2e call runs it) and end-to-end (the device-level <see cref="CudaAttention"/>
/// call). What e2e spends beyond kernel + pre-processing is the per-call fixed cost (launch gaps, allocation, host work).
/// With <see cref="AttentionBenchmark.Telemetry"/>, <see cref="KernelTelemetry"/> and <see cref="EndToEndTelemetry"/> hold
/// the SM clock and power read while the kernel-only and the end-to-end repetitions ran (null without).
/// <see cref="HostEnqueue"/> holds the host's enqueue time of each (null where not measured).
/// </summary>
public sealed record BenchmarkResult(BenchmarkCase Case, double KernelMilliseconds, double EndToEndMilliseconds, int Repetitions, string Device,
    double PreprocessMilliseconds = double.NaN, bool QueriesInMainLoop = false,
    Telemetry.TelemetrySummary? KernelTelemetry = null, Telemetry.TelemetrySummary? EndToEndTelemetry = null,
    HostEnqueueTimes? HostEnqueue = null)
{
    /// <summary>The main loop's CTA timeline of one kernel-only launch (<see cref="AttentionBenchmark.Timeline"/>), or null.</summary>
    public CtaTimeline? Timeline { get; init; }

    /// <summary>
    /// How the end-to-end instance's calls had run when the last timed one was queued (<see cref="CudaAttention.GraphReplays"/>,
    /// over every round so far): with <see cref="CudaAttention.GraphReplay"/> on, the timed calls are replays; all zero with
    /// it off.
    /// </summary>
    public GraphReplayCounts EndToEndGraphs { get; init; }

    public double KernelTflops => Case.Flops / KernelMilliseconds / 1e9;
    public double EndToEndTflops => Case.Flops / EndToEndMilliseconds / 1e9;

    /// <summary>
    /// Pre-processing rate over the bytes it must move at least once (Q, K, V read, INT8 Q/K and FP8 V written; FP16
    /// inputs; without Q when the main loop quantises it), in GB/s: <see cref="BenchmarkCase.PreprocessMinimumBytes"/> /
    /// <see cref="PreprocessMilliseconds"/>.
    /// </summary>
    public double PreprocessGigabytesPerSecond => Case.PreprocessMinimumBytes(QueriesInMainLoop) / PreprocessMilliseconds / 1e6;
}
