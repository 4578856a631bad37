namespace Sage.Numerics;

/// <summary>Shared pieces of the FP8 decoders.</summary>
internal static class Fp8Tables
{
    /// <summary>Positive quiet NaN with all payload bits set, NVIDIA's canonical float32 NaN.</summary>
    internal static readonly float CanonicalNaN = BitConverter.UInt32BitsToSingle(0x7FFF_FFFFu);

    internal static void Decode(float[] table, ReadOnlySpan<byte> src, Span<float> dst, string dstName)
    {
        if (dst.Length < src.Length)
            throw new ArgumentException($"Destination length {dst.Length} is shorter than source length {src.Length}.", dstName);
        for (int i = 0; i < src.Length; i++)
            dst[i] = table[src[i]];
    }
}
