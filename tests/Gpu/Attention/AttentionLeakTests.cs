using Sage.Cuda;
using Sage.Cuda.Preprocessing;
using Sage.Gpu.Tests.Interop;
using Xunit;

namespace Sage.Gpu.Tests.Attention;

/// <summary>
/// 10^4 calls of CudaAttention (host API, with Q and V smoothing so that every intermediate buffer is made and released,
/// and the device-level API on a caller's stream) leak neither device memory nor process handles. The device's default
/// memory pool keeps freed memory (PoolRetention, on by default), so both measurements come after trimming it to what
/// is still allocated: a buffer that was never released cannot be trimmed and still lowers the free memory
/// (PoolRetentionTests shows both halves).
/// </summary>
[Collection(nameof(DeviceMemoryCollection))]
public sealed class AttentionLeakTests(ITestOutputHelper output)
{
    // The driver hands out memory in 2 MiB pages and the stream-ordered pool may keep a little; 8 MiB is far below
    // what 10^4 leaked calls would hold (each call allocates ~200 KiB of intermediates).
    private const long Tolerance = 8L << 20;
    private const int Calls = 10_000;

    [Fact]
    public void Ten_thousand_calls_leak_no_device_memory_and_no_handles()
    {
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(context);
        var c = AttentionCase.Fixed[28] with { QueryLength = 130, KeyLength = 200 }; // SmoothQ + SmoothV, LSE
        var problem = c.Problem;
        var inputs = c.Inputs();
        var first = gpu.Run(problem, inputs.Q, inputs.K, inputs.V, c.Options); // warm: compile, load, pools
        for (int i = 0; i < 10; i++) gpu.Run(problem, inputs.Q, inputs.K, inputs.V, c.Options);
        context.Synchronize();
        PoolRetention.Trim(context);
        long before = context.GetMemoryInfo().FreeBytes;
        int handlesBefore = OpenHandles();

        var watch = System.Diagnostics.Stopwatch.StartNew();
        AttentionResult last = first;
        for (int i = 0; i < Calls; i++) last = gpu.Run(problem, inputs.Q, inputs.K, inputs.V, c.Options);
        watch.Stop();
        context.Synchronize();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        context.Synchronize(); // releases queued by finalizers
        PoolRetention.Trim(context);
        long after = context.GetMemoryInfo().FreeBytes;
        int handlesAfter = OpenHandles();

        string line = $"leak: {Calls} CudaAttention.Run calls ({c}) in {watch.Elapsed.TotalSeconds:F1} s; free device memory " +
                      $"{before} -> {after} bytes, open handles {handlesBefore} -> {handlesAfter} ({context.Device.Name})";
        output.WriteLine(line);
        AttentionGpu.Report(line);
        Assert.Equal(0, OutputComparison.Compare(problem, first, last).Mismatches);
        Assert.True(after >= before - Tolerance, $"free memory fell from {before} to {after} bytes over {Calls} calls");
        Assert.True(handlesAfter <= handlesBefore + 4, $"open handles grew from {handlesBefore} to {handlesAfter} over {Calls} calls");
    }

    [Fact]
    public void Ten_thousand_device_level_calls_on_a_callers_stream_leak_no_device_memory()
    {
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(context);
        var c = AttentionCase.Fixed[23]; // #24: SmoothQ, d 64, NHD, FP16
        var problem = c.Problem;
        var inputs = c.Inputs();
        var s = problem.Shape;
        using var q = DeviceBuffer<ushort>.Upload(context, inputs.Q.Bits16);
        using var k = DeviceBuffer<ushort>.Upload(context, inputs.K.Bits16);
        using var v = DeviceBuffer<ushort>.Upload(context, inputs.V.Bits16);
        using var o = DeviceBuffer<ushort>.Allocate(context, (long)s.Batch * s.QueryHeads * s.QueryLength * s.HeadDim);
        using var lse = DeviceBuffer<float>.Allocate(context, (long)s.Batch * s.QueryHeads * s.QueryLength);
        using var owned = CudaStream.Create(context);
        using var stream = CudaStream.FromHandle(context, owned.Handle); // as another framework's stream arrives
        DeviceTensor T(DeviceBuffer<ushort> b) => DeviceTensor.From(b, ElementType.Float16);
        void Call() => gpu.Run(problem, c.Options, T(q), T(k), T(v), T(o), lse.Pointer, stream);
        for (int i = 0; i < 10; i++) Call();
        stream.Synchronize();
        PoolRetention.Trim(context);
        long before = context.GetMemoryInfo().FreeBytes;
        for (int i = 0; i < Calls; i++)
        {
            Call();
            if (i % 1000 == 999) stream.Synchronize(); // keep the queue bounded; nothing in Run waits
        }
        stream.Synchronize();
        PoolRetention.Trim(context);
        long after = context.GetMemoryInfo().FreeBytes;
        string line = $"leak: {Calls} device-level calls on a borrowed stream; free device memory {before} -> {after} bytes ({context.Device.Name})";
        output.WriteLine(line);
        AttentionGpu.Report(line);
        var host = gpu.Run(problem, inputs.Q, inputs.K, inputs.V, c.Options);
        Assert.Equal(host.Output.Bits16.ToArray(), o.ToArray());
        Assert.True(after >= before - Tolerance, $"free memory fell from {before} to {after} bytes over {Calls} calls");
    }

    /// <summary>Open file descriptors of this process (Linux), where driver handles (device files, event fds) show.</summary>
    private static int OpenHandles() =>
        Directory.Exists("/proc/self/fd") ? Directory.GetFileSystemEntries("/proc/self/fd").Length : System.Diagnostics.Process.GetCurrentProcess().HandleCount;
}
