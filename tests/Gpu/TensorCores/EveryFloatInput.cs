using Sage.Cuda;

namespace Sage.Gpu.Tests.TensorCores;

/// <summary>
/// Runs a probe kernel <c>f(uint baseBits, uint* out, uint count)</c> that writes out[i] = bits of f(x) for
/// x = baseBits + i over all 2^32 float bit patterns, in chunks of 2^27, and hands each chunk to a host-side comparison.
/// </summary>
internal static class EveryFloatInput
{
    public const uint Chunk = 1u << 27;

    /// <summary>Calls <paramref name="compare"/>(baseBits, deviceResults) once per chunk, in ascending order.</summary>
    public static void Sweep(CudaContext context, CudaFunction function, Action<uint, uint[]> compare)
    {
        using var device = DeviceBuffer<uint>.Allocate(context, Chunk);
        var host = new uint[Chunk];
        for (ulong start = 0; start < 1UL << 32; start += Chunk)
        {
            uint baseBits = (uint)start;
            device.FillBytes(0xEE); // a word the kernel never wrote shows as 0xEEEEEEEE
            function.Launch(new Dim3((int)(Chunk / 256), 1, 1), new Dim3(256, 1, 1), 0, null, baseBits, device, Chunk);
            context.Synchronize();
            device.CopyTo(host);
            compare(baseBits, host);
        }
    }
}
