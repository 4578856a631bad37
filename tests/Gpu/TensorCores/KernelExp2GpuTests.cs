using Sage.Cuda;
using Sage.Emulation.SpecialFunctions;
using Xunit;

namespace Sage.Gpu.Tests.TensorCores;

/// <summary>KernelExp2.Evaluate against sage_kernel_exp2 (src/Sage.Cuda/Kernels/Probes/kernel_exp2.cuh) on every float input.</summary>
public sealed class KernelExp2GpuTests(ITestOutputHelper output)
{
    [Fact]
    public void Every_float_input_gives_the_same_bits_on_the_device_and_in_CSharp()
    {
        if (!CudaDevice.IsAvailable(out string reason)) Assert.Skip($"no CUDA device: {reason}");
        using var context = CudaContext.Create();
        using var module = TensorCoreGpu.LoadProbe(context, "exp2_probe.cu");
        long mismatches = 0, nanPayloadDiffers = 0;
        string first = "";
        EveryFloatInput.Sweep(context, module.GetFunction("exp2_range"), (baseBits, host) =>
        {
            Parallel.For(0, 64, part =>
            {
                long local = 0, localNaN = 0;
                for (uint i = (uint)part; i < EveryFloatInput.Chunk; i += 64)
                {
                    uint x = baseBits + i;
                    uint want = BitConverter.SingleToUInt32Bits(KernelExp2.Evaluate(BitConverter.UInt32BitsToSingle(x)));
                    if (want == host[i]) continue;
                    bool bothNaN = (want & 0x7FFFFFFF) > 0x7F800000 && (host[i] & 0x7FFFFFFF) > 0x7F800000;
                    if (bothNaN) localNaN++;
                    else
                    {
                        local++;
                        if (first.Length == 0) lock (output) first = $"x=0x{x:X8}: device 0x{host[i]:X8}, C# 0x{want:X8}";
                    }
                }
                Interlocked.Add(ref mismatches, local);
                Interlocked.Add(ref nanPayloadDiffers, localNaN);
            });
        });
        output.WriteLine($"{context.Device.Name} {context.Device.Architecture}: 2^32 inputs, {mismatches} mismatches, {nanPayloadDiffers} NaN inputs with a different NaN payload {first}");
        Assert.True(mismatches == 0, $"{mismatches} inputs differ, first {first}");
        Assert.Equal(0, nanPayloadDiffers);
    }
}
