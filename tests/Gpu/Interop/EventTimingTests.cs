using Xunit;
using Sage.Cuda;

namespace Sage.Gpu.Tests.Interop;

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
        using var stream = CudaStream.Create(context);
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

        ulong measuredCycles = elapsedCycles.ToArray()[0];
        output.WriteLine($"spin {spinMs} ms for {measuredCycles} cycles ({measuredCycles / (spinMs * 1e3):F0} MHz); empty interval {emptyMs} ms");
        Assert.True(measuredCycles >= cycles, $"kernel reports {measuredCycles} cycles, asked {cycles}");
        Assert.InRange(spinMs, minimumMilliseconds, 5000.0);
        Assert.InRange(emptyMs, 0f, spinMs / 10);
    }
}
