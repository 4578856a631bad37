using Sage.Cuda;
using Sage.Emulation.SpecialFunctions;
using Xunit;

namespace Sage.Gpu.Tests.TensorCores;

/// <summary>
/// MufuExp2.Evaluate against sage_mufu_exp2 (ex2.approx.ftz.f32, src/Sage.Cuda/Kernels/Probes/mufu_exp2.cuh) on
/// every float input, through the scalar and the span (widest SIMD) paths. Every bit counts, NaN outputs included (the unit returns the canonical 0x7FFFFFFF).
/// </summary>
public sealed class MufuExp2GpuTests(ITestOutputHelper output)
{
    [Fact]
    public void Every_float_input_gives_the_same_bits_on_the_device_and_in_CSharp()
    {
        if (!CudaDevice.IsAvailable(out string reason)) Assert.Skip($"no CUDA device: {reason}");
        using var context = CudaContext.Create();
        using var module = TensorCoreGpu.LoadProbe(context, "mufu_exp2_probe.cu");
        const uint chunk = EveryFloatInput.Chunk;
        var inputs = new float[chunk];
        var spanResults = new float[chunk];
        long mismatches = 0, negativeMismatches = 0, spanMismatches = 0;
        string first = "";
        EveryFloatInput.Sweep(context, module.GetFunction("mufu_exp2_range"), (baseBits, host) =>
        {
            // The span path (Vector512, AVX2 or scalar: MufuExp2.SpanPath) on the same chunk, in 64 slices.
            Parallel.For(0, 64, part =>
            {
                int length = (int)(chunk / 64), offset = part * length;
                for (int i = offset; i < offset + length; i++) inputs[i] = BitConverter.UInt32BitsToSingle(baseBits + (uint)i);
                MufuExp2.ExponentiateShifted(inputs.AsSpan(offset, length), 0f, spanResults.AsSpan(offset, length));
                long local = 0;
                for (int i = offset; i < offset + length; i++) if (BitConverter.SingleToUInt32Bits(spanResults[i]) != host[i]) local++;
                Interlocked.Add(ref spanMismatches, local);
            });
            Parallel.For(0, 64, part =>
            {
                long local = 0, localNegative = 0;
                for (uint i = (uint)part; i < chunk; i += 64)
                {
                    uint x = baseBits + i;
                    uint want = MufuExp2.EvaluateBits(x);
                    if (want == host[i]) continue;
                    local++;
                    if (x >> 31 != 0) localNegative++;
                    if (first.Length == 0) lock (output) if (first.Length == 0) first = $"x=0x{x:X8}: device 0x{host[i]:X8}, C# 0x{want:X8}";
                }
                Interlocked.Add(ref mismatches, local);
                Interlocked.Add(ref negativeMismatches, localNegative);
            });
        });
        string line = $"{context.Device.Name} {context.Device.Architecture}: ex2.approx.ftz.f32 vs MufuExp2, 2^32 inputs, {mismatches} mismatches ({negativeMismatches} with x negative), span path ({MufuExp2.SpanPath}) {spanMismatches} mismatches {first}";
        output.WriteLine(line);
        TestReport.Append("mufu-exp2-counts.txt", line);
        Assert.True(mismatches == 0, $"{mismatches} inputs differ, first {first}");
        Assert.True(spanMismatches == 0, $"{spanMismatches} inputs differ on the span path");
    }
}
