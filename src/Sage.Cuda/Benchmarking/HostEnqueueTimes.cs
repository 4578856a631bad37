namespace Sage.Cuda.Benchmarking;

/// <summary>
/// Median host time (microseconds, a stopwatch) from the start event's record to the end event's around each timed
/// call: what the host spends enqueueing the kernel-only launch, the pre-processing and the end-to-end call. On an idle
/// GPU the events also time this span, as the start event completes before the first launch reaches the device;
/// `--queue-ahead` takes it out of the events (docs/results/gpu-run-session25-2026-11-27.md).
/// </summary>
public sealed record HostEnqueueTimes(double KernelMicroseconds, double PreprocessMicroseconds, double EndToEndMicroseconds);
