using Sage.Cuda;
using Sage.Cuda.Preprocessing;
using Sage.Reference;
using Xunit;

namespace Sage.Gpu.Tests.Attention;

/// <summary>
/// The epilogue writes a lane's two adjacent channels with one store when the output tensor is 8-byte aligned, and
/// element by element otherwise (a caller's tensor may start at any element): both must give the same bits.
/// </summary>
public sealed class OutputAlignmentTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(ElementType.Float16, 1)]
    [InlineData(ElementType.BFloat16, 3)]
    [InlineData(ElementType.Float32, 1)]
    public void Output_at_an_odd_element_offset_matches_an_aligned_output(ElementType outputType, int offset)
    {
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(context);
        var problem = new AttentionProblem(new AttentionShape(1, 2, 1, 200, 260, 128), TensorLayout.NHD, causal: true);
        var options = new SageOptions { OutputType = outputType, SmoothV = true };
        var inputs = SyntheticData.GenerateInputs(problem, DataFamily.VChannelBias, ElementType.Float16, seed: offset);
        using var q = DeviceBuffer<ushort>.Upload(context, inputs.Q.Bits16);
        using var k = DeviceBuffer<ushort>.Upload(context, inputs.K.Bits16);
        using var v = DeviceBuffer<ushort>.Upload(context, inputs.V.Bits16);
        long count = (long)problem.Shape.Batch * problem.Shape.QueryHeads * problem.Shape.QueryLength * problem.Shape.HeadDim;
        int size = outputType.SizeInBytes();
        using var aligned = DeviceBuffer<byte>.Allocate(context, count * size);
        using var shifted = DeviceBuffer<byte>.Allocate(context, (count + offset) * size);
        var qt = DeviceTensor.From(q, ElementType.Float16);
        var kt = DeviceTensor.From(k, ElementType.Float16);
        var vt = DeviceTensor.From(v, ElementType.Float16);
        gpu.Run(problem, options, qt, kt, vt, new DeviceTensor(aligned.Pointer, count, outputType), 0);
        gpu.Run(problem, options, qt, kt, vt, new DeviceTensor(shifted.Pointer + (ulong)(offset * size), count, outputType), 0);
        var a = aligned.ToArray();
        var b = shifted.ToArray().AsSpan(offset * size).ToArray();
        long mismatches = 0;
        for (long e = 0; e < count; e++)
            if (!a.AsSpan((int)(e * size), size).SequenceEqual(b.AsSpan((int)(e * size), size))) mismatches++;
        string line = $"output alignment: {outputType} offset {offset} elements: {count} elements compared, {mismatches} mismatches";
        output.WriteLine(line);
        AttentionGpu.Report(line);
        Assert.Equal(0, mismatches);
    }
}
