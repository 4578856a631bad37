using Sage.Cuda;
using Xunit;

namespace Sage.Gpu.Tests.Attention;

/// <summary>
/// The main loop's conversion-free int → float (Kernels/Attention/attention_int_to_float.cuh) gives the same bits as
/// cvt.rn.f32.s32 for every integer in [−2^22, 2^22]. (The softmax exp2 is the MUFU instruction itself since session 2;
/// its model is checked by tests/Gpu/TensorCores/MufuExp2GpuTests.)
/// </summary>
public sealed class ConversionFreeIdentityTests(ITestOutputHelper output)
{
    [Fact]
    public void Conversion_free_int_to_float_is_identical_on_every_input()
    {
        const string kernel = "small_int_to_float_identity";
        using var context = AttentionGpu.ContextOrSkip();
        var source = KernelSource.FromEmbedded(typeof(CudaContext).Assembly, "Sage.Cuda.Kernels.Attention.conversion_identity.cu");
        using var module = new KernelCompiler().Load(context, source);
        using var counters = DeviceBuffer<ulong>.Allocate(context, 1);
        using var first = DeviceBuffer<uint>.Allocate(context, 1);
        counters.FillBytes(0);
        first.FillBytes(0xFF);
        module.GetFunction(kernel).Launch(new Dim3(132 * 16), 256, 0, null, counters, first);
        context.Synchronize();
        ulong mismatches = counters.ToArray()[0];
        uint firstBad = first.ToArray()[0];
        string line = $"{kernel}: 2^23 + 1 integers, {mismatches} mismatches" +
            (mismatches > 0 ? $", first at 0x{firstBad:X8}" : "") + $" ({context.Device.Name})";
        output.WriteLine(line);
        AttentionGpu.Report(line);
        Assert.Equal(0ul, mismatches);
    }
}
