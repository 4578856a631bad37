using Sage.Cuda;
using Xunit;

namespace Sage.Gpu.Tests.Attention;

/// <summary>
/// The main loop's conversion-free exp2 and int → float (Kernels/Attention/attention_exp2.cuh) give the same bits as
/// the specified sage_kernel_exp2 and cvt.rn.f32.s32, for every fp32 input (2^32) and every integer in [−2^22, 2^22];
/// so does the branch-free exp2 the pipelined main loop calls (attention_softmax_exp2.cuh).
/// </summary>
public sealed class ConversionFreeIdentityTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("exp2_shifter_identity", 0)]
    [InlineData("small_int_to_float_identity", 1)]
    [InlineData("exp2_branchless_identity", 2)]
    public void Conversion_free_form_is_identical_on_every_input(string kernel, int slot)
    {
        using var context = AttentionGpu.ContextOrSkip();
        var source = KernelSource.FromEmbedded(typeof(CudaContext).Assembly, "Sage.Cuda.Kernels.Attention.conversion_identity.cu");
        using var module = new KernelCompiler().Load(context, source);
        using var counters = DeviceBuffer<ulong>.Allocate(context, 3);
        using var first = DeviceBuffer<uint>.Allocate(context, 3);
        counters.FillBytes(0);
        first.FillBytes(0xFF);
        module.GetFunction(kernel).Launch(new Dim3(132 * 16), 256, 0, null, counters, first);
        context.Synchronize();
        ulong mismatches = counters.ToArray()[slot];
        uint firstBad = first.ToArray()[slot];
        string line = $"{kernel}: {(slot == 1 ? "2^23 + 1 integers" : "2^32 fp32 inputs")}, {mismatches} mismatches" +
            (mismatches > 0 ? $", first at 0x{firstBad:X8}" : "") + $" ({context.Device.Name})";
        output.WriteLine(line);
        AttentionGpu.Report(line);
        Assert.Equal(0ul, mismatches);
    }
}
