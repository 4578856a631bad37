using Xunit;
using Sage.Cuda;

namespace Sage.Gpu.Tests.Interop;

[Collection(nameof(DeviceTimingCollection))]
public sealed class EventTimingTests(ITestOutputHelper output)
{
    [Fact]
    public void Events_time_a_kernel_of_known_minimum_length()
    {
        using var context = InteropGpu.ContextOrSkip();
        const long cycles = 20_000_000;
        // No current GPU clocks its SMs above 3 GHz, so 2·10^7 cycles last at least 6.67 ms.
        const double minimumMilliseconds = cycles / 3e6;
        using var module = InteropGpu.LoadInteropKernel(context, "spin.cu");
        var spin = module.GetFunction("spin");
        using var elapsedCycles = DeviceBuffer<ulong>.Allocate(context, 1);
        // Non-blocking: other test classes run in parallel and queue work on the legacy default stream; a blocking
        // stream's events would wait for that work, and the "empty" interval below would include it (session 6, run 16:
        // 373 ms).
        using var stream = CudaStream.CreateNonBlocking(context);
        using var start = CudaEvent.Create(context);
        using var end = CudaEvent.Create(context);

        spin.Launch(1, 1, 0, stream, 1000L, elapsedCycles); // warm-up: first launch pays module setup
        start.Record(stream);
        spin.Launch(1, 1, 0, stream, cycles, elapsedCycles);
        end.Record(stream);
        float spinMs = CudaEvent.ElapsedMilliseconds(start, end);

        start.Record(stream);
        end.Record(stream);
        float emptyMs = CudaEvent.ElapsedMilliseconds(start, end);

        stream.Synchronize(); // the copy below runs on the legacy stream, which does not wait for this one
        ulong measuredCycles = elapsedCycles.ToArray()[0];
        output.WriteLine($"spin {spinMs} ms for {measuredCycles} cycles ({measuredCycles / (spinMs * 1e3):F0} MHz); empty interval {emptyMs} ms");
        Assert.True(measuredCycles >= cycles, $"kernel reports {measuredCycles} cycles, asked {cycles}");
        Assert.InRange(spinMs, minimumMilliseconds, 5000.0);
        Assert.InRange(emptyMs, 0f, spinMs / 10);
    }

    // A kernel spins on the legacy default stream for ≈ 0.25-0.5 s; an event recorded afterwards on a stream of each
    // kind either has to wait for it (blocking) or completes while it still runs (non-blocking).
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Only_a_blocking_stream_waits_for_the_legacy_default_stream(bool nonBlocking)
    {
        using var context = InteropGpu.ContextOrSkip();
        const long cycles = 500_000_000; // ≥ 0.25 s below 2 GHz
        using var module = InteropGpu.LoadInteropKernel(context, "spin.cu");
        var spin = module.GetFunction("spin");
        using var elapsedCycles = DeviceBuffer<ulong>.Allocate(context, 1);
        using var legacy = CudaStream.FromHandle(context, 0);
        using var stream = nonBlocking ? CudaStream.CreateNonBlocking(context) : CudaStream.Create(context);
        using var afterSpin = CudaEvent.Create(context);
        using var mark = CudaEvent.Create(context);

        spin.Launch(1, 1, 0, legacy, cycles, elapsedCycles);
        afterSpin.Record(legacy);
        mark.Record(stream);
        mark.Synchronize();
        bool spinDone = afterSpin.IsComplete;
        afterSpin.Synchronize();
        Assert.True(afterSpin.IsComplete);
        output.WriteLine($"non-blocking {nonBlocking}: spin finished before the stream's event completed: {spinDone}");
        if (nonBlocking) Assert.False(spinDone, "the non-blocking stream's event waited for the legacy stream's kernel");
        else Assert.True(spinDone, "the blocking stream's event completed before the legacy stream's kernel");
    }
}
