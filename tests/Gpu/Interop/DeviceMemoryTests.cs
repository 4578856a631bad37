using Xunit;
using System.Runtime.CompilerServices;
using Sage.Cuda;

namespace Sage.Gpu.Tests.Interop;

[Collection(nameof(DeviceMemoryCollection))]
public sealed class DeviceMemoryTests(ITestOutputHelper output)
{
    // The driver hands out memory in 2 MiB pages; anything within one page is bookkeeping, not a leak.
    private const long Tolerance = 2L << 20;

    [Fact]
    public void Ten_thousand_allocations_and_frees_leak_nothing()
    {
        using var context = InteropGpu.ContextOrSkip();
        using (DeviceBuffer<byte>.Allocate(context, 64 * 1024)) { } // warm the allocator before measuring
        long before = context.GetMemoryInfo().FreeBytes;

        for (int i = 0; i < 10_000; i++)
        {
            using var buffer = DeviceBuffer<byte>.Allocate(context, 64 * 1024);
            Assert.NotEqual(0UL, buffer.Pointer);
        }

        long after = context.GetMemoryInfo().FreeBytes;
        output.WriteLine($"free before {before}, after {after}");
        Assert.True(after >= before - Tolerance, $"free memory fell from {before} to {after} bytes over 10^4 alloc/free pairs of 64 KiB");
    }

    [Fact]
    public void Undisposed_buffers_are_freed_by_their_finalizers()
    {
        using var context = InteropGpu.ContextOrSkip();
        long before = context.GetMemoryInfo().FreeBytes;

        long during = AllocateAndAbandon(context, count: 64, bytesEach: 16L << 20);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long after = context.GetMemoryInfo().FreeBytes;

        output.WriteLine($"free before {before}, while held {during}, after GC {after}");
        Assert.True(during <= before - (1L << 30), "the 1 GiB held was not visible in free memory; the check would prove nothing");
        Assert.True(after >= before - Tolerance, $"free memory fell from {before} to {after} bytes: finalizers did not free abandoned buffers");
    }

    [Fact]
    public void Out_of_memory_names_the_bytes_asked()
    {
        using var context = InteropGpu.ContextOrSkip();
        long count = (context.Device.TotalMemoryBytes + (1L << 30)) / sizeof(float);

        var e = Assert.Throws<CudaException>(() => DeviceBuffer<float>.Allocate(context, count));

        output.WriteLine(e.Message);
        Assert.Equal("CUDA_ERROR_OUT_OF_MEMORY", e.ErrorName);
        Assert.Equal(2, e.ResultCode);
        Assert.Contains($"asked for {count * sizeof(float)} bytes", e.Message);
        Assert.StartsWith("cuMemAlloc_v2(", e.Message);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long AllocateAndAbandon(CudaContext context, int count, long bytesEach)
    {
        var buffers = new DeviceBuffer<byte>[count];
        for (int i = 0; i < count; i++) buffers[i] = DeviceBuffer<byte>.Allocate(context, bytesEach);
        return context.GetMemoryInfo().FreeBytes;
    }
}
