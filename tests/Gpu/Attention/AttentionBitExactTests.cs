using Sage.Cuda;
using Sage.Cuda.Preprocessing;
using Sage.Emulation;
using Xunit;

namespace Sage.Gpu.Tests.Attention;

/// <summary>
/// CudaAttention against EmulatedAttention, every output bit and every LSE bit, zero mismatches allowed. A failure
/// prints the first differing element (b, h, row, channel), both values and the number of mismatching elements.
/// </summary>
public sealed class AttentionBitExactTests(ITestOutputHelper output)
{
    public static TheoryData<int> FixedIndices => new(Enumerable.Range(0, AttentionCase.Fixed.Count));

    [Theory]
    [MemberData(nameof(FixedIndices))]
    public void Gpu_attention_matches_the_emulator_bit_for_bit(int caseIndex)
    {
        var c = AttentionCase.Fixed[caseIndex];
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(context);
        var cmp = RunCase(gpu, c);
        string line = cmp.Summary(c.ToString()) + $" ({context.Device.Name})";
        output.WriteLine(line);
        AttentionGpu.Report(line);
        Assert.True(cmp.Mismatches == 0, line);
    }

    [Fact]
    public void Random_sweep_of_120_problems_matches_the_emulator_bit_for_bit()
    {
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(context);
        const int count = 120;
        long elements = 0, mismatches = 0;
        var failures = new List<string>();
        for (int i = 0; i < count; i++)
        {
            var c = AttentionCase.Random(i);
            var cmp = RunCase(gpu, c);
            elements += cmp.ElementsCompared;
            mismatches += cmp.Mismatches;
            if (cmp.Mismatches > 0) failures.Add(cmp.Summary(c.ToString()));
        }
        string line = $"random sweep: {count} problems, {elements} elements compared, {mismatches} mismatches in {failures.Count} problems ({context.Device.Name})";
        output.WriteLine(line);
        AttentionGpu.Report(line);
        foreach (string f in failures.Take(10)) { output.WriteLine(f); AttentionGpu.Report("  " + f); }
        Assert.True(failures.Count == 0, line + "\n" + string.Join("\n", failures.Take(5)));
    }

    /// <summary>CPU only: the 120-problem sweep covers every option the kernel runs (counts per option in the output).</summary>
    [Fact]
    public void Random_sweep_covers_every_mode_and_smoothing_option()
    {
        var cases = Enumerable.Range(0, 120).Select(AttentionCase.Random).ToList();
        long Elements(AttentionCase c) => (long)c.Batch * c.KeyValueHeads * c.GroupSize * c.QueryLength * (c.HeadDim + (c.Lse ? 1 : 0));
        var groups = new (string Name, Func<AttentionCase, bool> Has)[]
        {
            ("Fp32", c => c.Pv == PvAccumulation.Fp32), ("Fp32TwoLevel", c => c.Pv == PvAccumulation.Fp32TwoLevel),
            ("Fp16TwoLevel", c => c.Pv == PvAccumulation.Fp16TwoLevel), ("PerWarp", c => c.Granularity == QuantGranularity.PerWarp),
            ("PerBlock", c => c.Granularity == QuantGranularity.PerBlock), ("SmoothQ", c => c.SmoothQ), ("SmoothV", c => c.SmoothV),
            ("SmoothQ+SmoothV", c => c.SmoothQ && c.SmoothV), ("causal", c => c.Causal), ("GQA", c => c.GroupSize > 1),
        };
        foreach (var (name, has) in groups)
        {
            var matching = cases.Where(has).ToList();
            output.WriteLine($"{name}: {matching.Count} problems, {matching.Sum(Elements)} elements");
            Assert.True(matching.Count >= 5, $"the sweep has only {matching.Count} {name} problems");
        }
    }

    [Fact]
    public void Device_level_api_on_caller_owned_memory_matches_the_host_api()
    {
        var c = AttentionCase.Fixed[6];
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(context);
        var problem = c.Problem;
        var options = c.Options;
        var inputs = c.Inputs();
        var host = gpu.Run(problem, inputs.Q, inputs.K, inputs.V, options);

        var s = problem.Shape;
        using var q = DeviceBuffer<ushort>.Upload(context, inputs.Q.Bits16);
        using var k = DeviceBuffer<ushort>.Upload(context, inputs.K.Bits16);
        using var v = DeviceBuffer<ushort>.Upload(context, inputs.V.Bits16);
        long outCount = (long)s.Batch * s.QueryHeads * s.QueryLength * s.HeadDim;
        using var o = DeviceBuffer<ushort>.Allocate(context, outCount);
        using var lse = DeviceBuffer<float>.Allocate(context, (long)s.Batch * s.QueryHeads * s.QueryLength);
        o.FillBytes(0xFF);
        gpu.Run(problem, options, DeviceTensor.From(q, c.Input), DeviceTensor.From(k, c.Input), DeviceTensor.From(v, c.Input),
            DeviceTensor.From(o, options.OutputType), lse.Pointer);
        Assert.Equal(host.Output.Bits16.ToArray(), o.ToArray());
        Assert.Equal(host.Lse!, lse.ToArray());
    }

    [Fact]
    public void Device_level_api_queues_on_a_borrowed_stream_and_matches_the_host_api()
    {
        var c = AttentionCase.Fixed[28]; // #29: SmoothQ + SmoothV, FP32 input, causal, Nq > Nk
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(context);
        var problem = c.Problem;
        var inputs = c.Inputs();
        var host = gpu.Run(problem, inputs.Q, inputs.K, inputs.V, c.Options);

        var s = problem.Shape;
        using var owned = CudaStream.Create(context);
        using var stream = CudaStream.FromHandle(context, owned.Handle); // as PyTorch's current stream would arrive
        using var q = DeviceBuffer<float>.Upload(context, inputs.Q.Single);
        using var k = DeviceBuffer<float>.Upload(context, inputs.K.Single);
        using var v = DeviceBuffer<float>.Upload(context, inputs.V.Single);
        long outCount = (long)s.Batch * s.QueryHeads * s.QueryLength * s.HeadDim;
        using var o = DeviceBuffer<ushort>.Allocate(context, outCount);
        using var lse = DeviceBuffer<float>.Allocate(context, (long)s.Batch * s.QueryHeads * s.QueryLength);
        o.FillBytes(0xFF);
        gpu.Run(problem, c.Options, DeviceTensor.From(q), DeviceTensor.From(k), DeviceTensor.From(v),
            DeviceTensor.From(o, c.Options.OutputType), lse.Pointer, stream);
        var bits = new ushort[outCount];
        o.CopyTo(bits, stream); // in the stream's order
        var lseValues = new float[lse.Count];
        lse.CopyTo(lseValues, stream);
        Assert.Equal(host.Output.Bits16.ToArray(), bits);
        Assert.Equal(host.Lse!, lseValues);
    }

    [Fact]
    public void Device_ordinal_constructor_uses_that_device()
    {
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(0);
        Assert.Equal(0, gpu.Device.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CudaAttention(1000));
    }

    internal static OutputComparison RunCase(CudaAttention gpu, AttentionCase c)
    {
        var problem = c.Problem;
        var options = c.Options;
        var inputs = c.Inputs();
        var expected = new EmulatedAttention().Run(problem, inputs.Q, inputs.K, inputs.V, options);
        var actual = gpu.Run(problem, inputs.Q, inputs.K, inputs.V, options);
        var cmp = OutputComparison.Compare(problem, expected, actual);
        // Not vacuous: when some row sees a key, some output element is nonzero (rows that see none are +0).
        if (problem.Shape.QueryLength > 0 && problem.LastVisibleKey(problem.Shape.QueryLength - 1) >= 0 && cmp.Mismatches == 0)
        {
            bool any = false;
            for (long i = 0; i < actual.Output.Length && !any; i++) any = actual.Output[i] != 0f;
            Assert.True(any, $"{c}: every output element is zero");
        }
        return cmp;
    }
}
