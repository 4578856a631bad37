using Sage.Cuda;
using Sage.Cuda.Preprocessing;
using Sage.Reference;
using Xunit;

namespace Sage.Gpu.Tests.Attention;

/// <summary>
/// Graph replay (CudaAttention.GraphReplay) gives the bits of the direct launches: a call runs directly, its repeat is
/// captured, and later repeats replay, each into a zeroed output that must come back bit for bit equal (output and LSE)
/// to a direct call's, on the default pre-processing (the ring with Q, at 2K), the smoothed kernels with the LSE, BF16
/// NHD inputs, GQA, odd lengths, the shared CTA and the LogLinear encoding. A replay reads the inputs' current values
/// (new values in the same buffers), runs on another stream, and no capture is refused. A schedule change is a new key.
/// AttentionBitExactTests ties the direct calls to the emulator.
/// </summary>
public sealed class GraphReplayTests(ITestOutputHelper output)
{
    public static TheoryData<string, int, int, int, int, int, bool, bool, ElementType, TensorLayout, PvAccumulation, PEncoding, bool> Cases => new()
    {
        // name, B, Hq, Hkv, N (queries and keys), d, causal, smooth (SmoothQ + SmoothV, LSE), input type, layout, PV, P, shared CTA
        { "2K causal d128 LogLinear (the goal row's call)", 4, 32, 32, 2048, 128, true, false, ElementType.Float16, TensorLayout.HND, PvAccumulation.Fp16TwoLevel, PEncoding.LogLinear, false },
        { "2K d128 default", 1, 8, 8, 2048, 128, false, false, ElementType.Float16, TensorLayout.HND, PvAccumulation.Fp16TwoLevel, PEncoding.Exp2, false },
        { "odd GQA d64 smooth LSE BF16 NHD", 2, 4, 2, 777, 64, true, true, ElementType.BFloat16, TensorLayout.NHD, PvAccumulation.Fp32TwoLevel, PEncoding.Exp2, false },
        { "d128 FP32 PV smooth LSE", 1, 4, 1, 1000, 128, false, true, ElementType.Float16, TensorLayout.HND, PvAccumulation.Fp32, PEncoding.Exp2, false },
        { "shared CTA causal", 1, 4, 4, 1500, 128, true, false, ElementType.Float16, TensorLayout.HND, PvAccumulation.Fp16TwoLevel, PEncoding.Exp2, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Replayed_calls_give_the_direct_calls_bits(string name, int batch, int heads, int kvHeads, int length, int headDim, bool causal,
        bool smooth, ElementType inputType, TensorLayout layout, PvAccumulation mode, PEncoding encoding, bool sharedCta)
    {
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(context) { GraphReplay = true };
        using var direct = new CudaAttention(context) { GraphReplay = false };
        if (sharedCta)
        {
            gpu.MainLoopCtaChoice = CudaAttention.MainLoopCta.Share;
            direct.MainLoopCtaChoice = CudaAttention.MainLoopCta.Share;
        }
        var problem = new AttentionProblem(new AttentionShape(batch, heads, kvHeads, length, length, headDim), layout, causal, returnLse: smooth);
        var options = new SageOptions { PvAccumulation = mode, PEncoding = encoding, SmoothQ = smooth, SmoothV = smooth };
        var first = SyntheticData.GenerateInputs(problem, DataFamily.KChannelBias, inputType, seed: length + headDim);
        var second = SyntheticData.GenerateInputs(problem, DataFamily.KChannelBias, inputType, seed: length + headDim + 1);
        var s = problem.Shape;
        long outCount = (long)s.Batch * s.QueryHeads * s.QueryLength * s.HeadDim;
        long lseCount = smooth ? (long)s.Batch * s.QueryHeads * s.QueryLength : 0;
        using var stream = CudaStream.Create(context);
        using var other = CudaStream.Create(context);
        using var q = DeviceBuffer<ushort>.Upload(context, first.Q.Bits16);
        using var k = DeviceBuffer<ushort>.Upload(context, first.K.Bits16);
        using var v = DeviceBuffer<ushort>.Upload(context, first.V.Bits16);
        using var replayedOut = DeviceBuffer<ushort>.Allocate(context, outCount);
        using var directOut = DeviceBuffer<ushort>.Allocate(context, outCount);
        using var replayedLse = smooth ? DeviceBuffer<float>.Allocate(context, lseCount) : null;
        using var directLse = smooth ? DeviceBuffer<float>.Allocate(context, lseCount) : null;
        DeviceTensor In(DeviceBuffer<ushort> b) => DeviceTensor.From(b, inputType);
        DeviceTensor Out(DeviceBuffer<ushort> b) => DeviceTensor.From(b, ElementType.Float16);

        var lines = new List<string>();
        long total = 0;
        // Call i into zeroed outputs on streamOf(i), then compared with a direct call on the same inputs.
        void Compare(string step, CudaStream on)
        {
            replayedOut.EnqueueFill(0, on);
            replayedLse?.EnqueueFill(0, on);
            gpu.Run(problem, options, In(q), In(k), In(v), Out(replayedOut), replayedLse?.Pointer ?? 0, on);
            on.Synchronize();
            directOut.EnqueueFill(0xFF, stream);
            direct.Run(problem, options, In(q), In(k), In(v), Out(directOut), directLse?.Pointer ?? 0, stream);
            stream.Synchronize();
            long mismatches = OutputComparison.BitMismatches(directOut.ToArray(), replayedOut.ToArray(), directLse?.ToArray(), replayedLse?.ToArray());
            total += mismatches;
            lines.Add($"{step}: {outCount + lseCount} elements, {mismatches} mismatches");
        }

        Compare("direct (first sighting)", stream);
        Compare("captured", stream);
        Compare("replayed", stream);
        Compare("replayed on another stream", other);
        q.CopyFrom(second.Q.Bits16); // new values in the same buffers: the replay must read them
        k.CopyFrom(second.K.Bits16);
        v.CopyFrom(second.V.Bits16);
        Compare("replayed on new inputs", stream);
        var counts = gpu.GraphReplays;

        string line = $"Graph replay vs direct: {name} ({s}, {layout}, {inputType}, {mode}, {encoding}{(sharedCta ? ", shared CTA" : "")}): " +
                      string.Join("; ", lines) + $"; counts {counts}; workspace {gpu.GraphWorkspaceBytes} bytes; refusal: {gpu.LastGraphRefusal ?? "none"}";
        output.WriteLine(line);
        AttentionGpu.Report(line);
        Assert.Equal(0, total);
        Assert.Equal(new GraphReplayCounts(Direct: 1, Captured: 1, Replayed: 3, Refused: 0), counts);
        Assert.Equal(1, gpu.GraphCount);
        Assert.InRange(gpu.GraphWorkspaceBytes, 1, CudaAttention.GraphWorkspaceLimit);
        Assert.Equal(default, direct.GraphReplays); // GraphReplay off counts nothing
    }

    [Fact]
    public void A_schedule_change_is_a_new_call_and_clearing_drops_the_graphs()
    {
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(context) { GraphReplay = true };
        var problem = new AttentionProblem(new AttentionShape(1, 2, 2, 300, 300, 128), TensorLayout.HND, causal: false);
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.Gaussian, ElementType.Float16, seed: 5);
        long outCount = 2L * 300 * 128;
        using var q = DeviceBuffer<ushort>.Upload(context, inputs.Q.Bits16);
        using var k = DeviceBuffer<ushort>.Upload(context, inputs.K.Bits16);
        using var v = DeviceBuffer<ushort>.Upload(context, inputs.V.Bits16);
        using var o = DeviceBuffer<ushort>.Allocate(context, outCount);
        DeviceTensor T(DeviceBuffer<ushort> b) => DeviceTensor.From(b, ElementType.Float16);
        void Call() => gpu.Run(problem, SageOptions.Default, T(q), T(k), T(v), T(o), 0, stream: null);
        Call();
        Call(); // captured under the default CTA choice
        gpu.MainLoopCtaChoice = CudaAttention.MainLoopCta.Share;
        Call(); // a new key: direct
        Call(); // captured under Share
        Call(); // replayed
        context.Synchronize();
        var counts = gpu.GraphReplays;
        int kept = gpu.GraphCount;
        gpu.ClearGraphs();
        Call(); // forgotten: direct again
        context.Synchronize();
        string line = $"Graph replay keys: schedule change counts {counts}, {kept} graphs kept, after clearing {gpu.GraphReplays} ({context.Device.Name})";
        output.WriteLine(line);
        AttentionGpu.Report(line);
        Assert.Equal(new GraphReplayCounts(Direct: 2, Captured: 2, Replayed: 1, Refused: 0), counts);
        Assert.Equal(2, kept);
        Assert.Equal(0, gpu.GraphCount);
        Assert.Equal(new GraphReplayCounts(Direct: 3, Captured: 2, Replayed: 1, Refused: 0), gpu.GraphReplays);
    }

    [Fact]
    public void A_call_whose_buffers_pass_the_workspace_limit_runs_directly()
    {
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(context) { GraphReplay = true };
        // 12K at B = 4, H = 32, d = 128: the K and V codes alone take 403 MB, more than GraphWorkspaceLimit (256 MiB)
        // wherever Q is quantised (above 2K keys the main loop quantises it, and the workspace holds no Q codes).
        var problem = new AttentionProblem(new AttentionShape(4, 32, 32, 12288, 12288, 128), TensorLayout.HND, causal: true);
        long count = 4L * 32 * 12288 * 128;
        using var q = DeviceBuffer<ushort>.Allocate(context, count);
        using var k = DeviceBuffer<ushort>.Allocate(context, count);
        using var v = DeviceBuffer<ushort>.Allocate(context, count);
        using var o = DeviceBuffer<ushort>.Allocate(context, count);
        foreach (var b in new[] { q, k, v }) b.EnqueueFill(0x3C, null); // 0x3C3C = 1.06 in FP16: any finite values do
        DeviceTensor T(DeviceBuffer<ushort> b) => DeviceTensor.From(b, ElementType.Float16);
        for (int i = 0; i < 3; i++) gpu.Run(problem, SageOptions.Default, T(q), T(k), T(v), T(o), 0, stream: null);
        context.Synchronize();
        string line = $"Graph replay over the workspace limit: {problem.Shape}: counts {gpu.GraphReplays}; refusal: {gpu.LastGraphRefusal} ({context.Device.Name})";
        output.WriteLine(line);
        AttentionGpu.Report(line);
        Assert.Equal(new GraphReplayCounts(Direct: 3, Captured: 0, Replayed: 0, Refused: 1), gpu.GraphReplays);
        Assert.Contains("more than a graph may keep", gpu.LastGraphRefusal);
        Assert.Equal(0, gpu.GraphCount);
        Assert.Equal(0, gpu.GraphWorkspaceBytes);
    }

    [Fact]
    public void Calls_on_a_stream_the_caller_captures_go_into_the_callers_graph_directly()
    {
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(context) { GraphReplay = true };
        using var direct = new CudaAttention(context) { GraphReplay = false };
        var problem = new AttentionProblem(new AttentionShape(2, 4, 2, 700, 900, 128), TensorLayout.HND, causal: true, returnLse: true);
        var options = new SageOptions { SmoothQ = true };
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.KChannelBias, ElementType.Float16, seed: 46);
        var s = problem.Shape;
        long outCount = (long)s.Batch * s.QueryHeads * s.QueryLength * s.HeadDim, lseCount = (long)s.Batch * s.QueryHeads * s.QueryLength;
        using var q = DeviceBuffer<ushort>.Upload(context, inputs.Q.Bits16);
        using var k = DeviceBuffer<ushort>.Upload(context, inputs.K.Bits16);
        using var v = DeviceBuffer<ushort>.Upload(context, inputs.V.Bits16);
        using var captured = DeviceBuffer<ushort>.Allocate(context, outCount);
        using var reference = DeviceBuffer<ushort>.Allocate(context, outCount);
        using var capturedLse = DeviceBuffer<float>.Allocate(context, lseCount);
        using var referenceLse = DeviceBuffer<float>.Allocate(context, lseCount);
        DeviceTensor T(DeviceBuffer<ushort> b) => DeviceTensor.From(b, ElementType.Float16);
        using var stream = CudaStream.CreateNonBlocking(context);
        // The reference first: it compiles the main-loop kernel into the kernel cache, so that `gpu` only loads it inside
        // the capture below. A compile there would hold the capture open for seconds, and the other test classes' context
        // synchronisations fail while any stream of the shared primary context is captured.
        direct.Run(problem, options, T(q), T(k), T(v), T(reference), referenceLse.Pointer, stream);
        stream.Synchronize();
        // The caller records two calls (the second a repeat, which would otherwise be captured by us) into its own graph.
        using var callers = CudaGraph.Capture(stream, on =>
        {
            gpu.Run(problem, options, T(q), T(k), T(v), T(captured), capturedLse.Pointer, on);
            gpu.Run(problem, options, T(q), T(k), T(v), T(captured), capturedLse.Pointer, on);
        });
        var counts = gpu.GraphReplays;
        captured.EnqueueFill(0, stream);
        callers.Launch(stream);
        stream.Synchronize();
        long mismatches = OutputComparison.BitMismatches(reference.ToArray(), captured.ToArray(), referenceLse.ToArray(), capturedLse.ToArray());
        string line = $"Graph replay inside the caller's capture: {s}, SmoothQ, LSE: the caller's graph of {callers.NodeCount} nodes vs a direct call: " +
                      $"{outCount + lseCount} elements compared, {mismatches} mismatches; counts {counts} ({context.Device.Name})";
        output.WriteLine(line);
        AttentionGpu.Report(line);
        Assert.Equal(0, mismatches);
        Assert.Equal(new GraphReplayCounts(Direct: 2, Captured: 0, Replayed: 0, Refused: 0), counts);
        Assert.Equal(0, gpu.GraphCount);
    }

    /// <summary>
    /// A caller capturing in thread-local mode, where the driver refuses this thread the calls that are unsafe during
    /// capture, makes a fresh instance's first call: the main-loop kernel's module is loaded inside the capture
    /// (SelectedKernels; CudaModule loads in relaxed capture mode), and the recorded graph gives a direct call's bits. A warm
    /// instance compiles the kernel into the cache first, so the capture stays short.
    /// </summary>
    [Fact]
    public void A_first_call_inside_a_callers_thread_local_capture_loads_its_kernel()
    {
        using var context = AttentionGpu.ContextOrSkip();
        using var warm = new CudaAttention(context) { GraphReplay = false };
        using var fresh = new CudaAttention(context);
        var problem = new AttentionProblem(new AttentionShape(1, 2, 2, 300, 500, 64), TensorLayout.HND, causal: false);
        var options = new SageOptions { PvAccumulation = PvAccumulation.Fp32TwoLevel };
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.KChannelBias, ElementType.Float16, seed: 49);
        long outCount = (long)problem.Shape.Batch * problem.Shape.QueryHeads * problem.Shape.QueryLength * problem.Shape.HeadDim;
        using var q = DeviceBuffer<ushort>.Upload(context, inputs.Q.Bits16);
        using var k = DeviceBuffer<ushort>.Upload(context, inputs.K.Bits16);
        using var v = DeviceBuffer<ushort>.Upload(context, inputs.V.Bits16);
        using var captured = DeviceBuffer<ushort>.Allocate(context, outCount);
        using var reference = DeviceBuffer<ushort>.Allocate(context, outCount);
        DeviceTensor T(DeviceBuffer<ushort> b) => DeviceTensor.From(b, ElementType.Float16);
        using var stream = CudaStream.CreateNonBlocking(context);
        warm.Run(problem, options, T(q), T(k), T(v), T(reference), 0, stream);
        stream.Synchronize();
        Assert.Equal(0, fresh.MainLoopKernelsLoaded);
        using var callers = CudaGraph.Capture(stream, on => fresh.Run(problem, options, T(q), T(k), T(v), T(captured), 0, on),
            Sage.Cuda.Interop.CuStreamCaptureMode.ThreadLocal);
        Assert.Equal(1, fresh.MainLoopKernelsLoaded);
        callers.Launch(stream);
        stream.Synchronize();
        long mismatches = OutputComparison.BitMismatches(reference.ToArray(), captured.ToArray());
        string line = $"First call inside a thread-local capture: {problem.Shape}, the caller's graph of {callers.NodeCount} nodes vs a direct " +
                      $"call: {outCount} elements compared, {mismatches} mismatches ({context.Device.Name})";
        output.WriteLine(line);
        AttentionGpu.Report(line);
        Assert.Equal(0, mismatches);
    }
}
