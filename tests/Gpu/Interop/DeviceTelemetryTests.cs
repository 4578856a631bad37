using Xunit;
using Sage.Cuda;
using Sage.Cuda.Telemetry;

namespace Sage.Gpu.Tests.Interop;

/// <summary>NVML readings of the CUDA device while one of our kernels runs (`sage bench --telemetry`).</summary>
public sealed class DeviceTelemetryTests(ITestOutputHelper output)
{
    private const long SpinCycles = 2_000_000_000L;

    [Fact]
    public void Readings_during_a_spinning_kernel_are_plausible()
    {
        using var context = InteropGpu.ContextOrSkip();
        using var telemetry = DeviceTelemetry.Open(context, TimeSpan.FromMilliseconds(10));
        using var module = InteropGpu.LoadInteropKernel(context, "spin.cu");
        var spin = module.GetFunction("spin");
        using var elapsed = DeviceBuffer<ulong>.Allocate(context, 132);
        using var stream = CudaStream.CreateNonBlocking(context);
        var (cycles, summary) = telemetry.Measure(() =>
        {
            // ≥ 1 s on every SM below 2 GHz: a reading is the interval plus NVML's own latency, which reached about 65 ms on
            // the H200 under the whole GPU suite (3 readings in the 0.2 s this kernel spun until session 52).
            spin.Launch(132, 32, 0, stream, SpinCycles, elapsed);
            stream.Synchronize();
            return elapsed.ToArray().Min();
        });
        output.WriteLine($"{telemetry.PciBusId} ({telemetry.Power} power): {summary.Samples} readings, SM clock median {summary.MedianSmClockMHz} MHz (min {summary.MinSmClockMHz}), " +
                         $"power median {summary.MedianPowerWatts} W, power-capped share {summary.PowerCapShare}");
        Assert.True(cycles >= SpinCycles);
        Assert.InRange(summary.Samples, 5, 10_000); // 1 s at 10 ms plus NVML's latency per reading (up to 200 ms)
        Assert.InRange(summary.MedianSmClockMHz, 100, 5000);
        Assert.InRange(summary.MinSmClockMHz, 1, summary.MedianSmClockMHz);
        Assert.InRange(summary.MedianPowerWatts, 1, 2000);
        Assert.InRange(summary.PowerCapShare, 0, 1);
        Assert.True(Enum.IsDefined(telemetry.Power));
    }

    [Fact]
    public void Interval_outside_its_range_is_rejected_with_its_value()
    {
        using var context = InteropGpu.ContextOrSkip();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => DeviceTelemetry.Open(context, TimeSpan.FromMilliseconds(1)));
        Assert.Equal("interval", e.ParamName);
        Assert.Contains("5 ms", e.Message);
    }

    [Fact]
    public void A_disposed_reader_refuses_to_read()
    {
        using var context = InteropGpu.ContextOrSkip();
        var telemetry = DeviceTelemetry.Open(context);
        var first = telemetry.Read();
        Assert.True(first.SmClockMHz > 0);
        telemetry.Dispose();
        telemetry.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => telemetry.Read());
    }
}
