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
        var function = module.GetFunction("exp2_range");
        const uint chunk = 1u << 27;
        using var device = DeviceBuffer<uint>.Allocate(context, chunk);
        var host = new uint[chunk];
        long mismatches = 0, nanPayloadDiffers = 0;
        string first = "";
        for (ulong start = 0; start < 1UL << 32; start += chunk)
        {
            uint baseBits = (uint)start;
            function.Launch(new Dim3((int)(chunk / 256), 1, 1), new Dim3(256, 1, 1), 0, null, baseBits, device, chunk);
            context.Synchronize();
            device.CopyTo(host);
            Parallel.For(0, 64, part =>
            {
                long local = 0, localNaN = 0;
                for (uint i = (uint)part; i < chunk; i += 64)
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
        }
        output.WriteLine($"{context.Device.Name} {context.Device.Architecture}: 2^32 inputs, {mismatches} mismatches, {nanPayloadDiffers} NaN inputs with a different NaN payload {first}");
        Assert.True(mismatches == 0, $"{mismatches} inputs differ, first {first}");
        Assert.Equal(0, nanPayloadDiffers);
    }
}
