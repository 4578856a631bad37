using Sage.Cuda;
using Sage.Cuda.Preprocessing;
using Sage.Gpu.Tests.Interop;
using Xunit;

namespace Sage.Gpu.Tests.Attention;

/// <summary>
/// The two facts the leak tests rely on since the default pool keeps freed memory: (1) retention is on once a
/// GpuPreprocessor exists (a freed stream-ordered buffer stays reserved after synchronisation) and Trim gives it back;
/// (2) Trim does not release a buffer that is still allocated, so a leak still lowers the free memory after trimming.
/// </summary>
[Collection(nameof(DeviceMemoryCollection))]
public sealed class PoolRetentionTests(ITestOutputHelper output)
{
    private const long Bytes = 256L << 20; // far above the driver's 2 MiB granularity and any pool slack
    private const long Tolerance = 8L << 20;

    [Fact]
    public void Freed_pool_memory_stays_reserved_until_trimmed_and_live_buffers_survive_the_trim()
    {
        using var context = AttentionGpu.ContextOrSkip();
        if (PoolRetention.IsRequested(Environment.GetEnvironmentVariable(PoolRetention.EnvironmentVariable)) is false)
            Assert.Skip($"{PoolRetention.EnvironmentVariable}=0: retention is off in this process.");
        using var preprocessor = new GpuPreprocessor(context); // applies the retention
        using var stream = CudaStream.Create(context);
        context.Synchronize();
        PoolRetention.Trim(context);
        long baseline = context.GetMemoryInfo().FreeBytes;

        var freed = DeviceBuffer<byte>.AllocateStreamOrdered(context, Bytes, stream);
        freed.EnqueueFill(1, stream);
        freed.Dispose();
        stream.Synchronize();
        long retained = context.GetMemoryInfo().FreeBytes;
        PoolRetention.Trim(context);
        long trimmed = context.GetMemoryInfo().FreeBytes;

        using var live = DeviceBuffer<byte>.AllocateStreamOrdered(context, Bytes, stream);
        live.EnqueueFill(2, stream);
        stream.Synchronize();
        PoolRetention.Trim(context);
        long withLive = context.GetMemoryInfo().FreeBytes;

        string line = $"pool retention: free {baseline} -> {retained} after a freed {Bytes}-byte buffer, {trimmed} after Trim, " +
                      $"{withLive} with a live one after Trim ({context.Device.Name})";
        output.WriteLine(line);
        AttentionGpu.Report(line);
        Assert.True(retained <= baseline - Bytes + Tolerance, $"the freed buffer was not retained: free {baseline} -> {retained}");
        Assert.True(trimmed >= baseline - Tolerance, $"Trim did not give the freed buffer back: free {baseline} -> {trimmed}");
        Assert.True(withLive <= baseline - Bytes + Tolerance, $"Trim released a live buffer: free {baseline} -> {withLive}");
    }
}
