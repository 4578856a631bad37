using System.Runtime.InteropServices;
using Sage.Numerics;

namespace Sage.Reference.Calibration;

/// <summary>Turns stored little-endian bytes into a <see cref="HostTensor"/>, in memory or straight from a file.</summary>
internal static class HostTensorDecoder
{
    // Chunk for reads into typed arrays: a Span<byte> cannot exceed 2 GiB, a tensor may.
    private const int ChunkBytes = 1 << 24;

    public static HostTensor Decode(StoredElementType type, int[] shape, ReadOnlySpan<byte> bytes)
    {
        RequireLittleEndianHost();
        switch (type)
        {
            case StoredElementType.Float16:
            case StoredElementType.BFloat16:
                return HostTensor.FromBits(type.HostElementType(), MemoryMarshal.Cast<byte, ushort>(bytes).ToArray(), shape);
            case StoredElementType.Float32:
                return HostTensor.FromSingle(MemoryMarshal.Cast<byte, float>(bytes).ToArray(), shape);
            default:
                var values = new float[bytes.Length];
                Widen(type, bytes, values);
                return HostTensor.FromSingle(values, shape);
        }
    }

    /// <summary>Reads <paramref name="count"/> elements at <paramref name="offset"/>; sizes were checked against the file already.</summary>
    public static HostTensor Read(ByteSource source, long offset, StoredElementType type, int[] shape, long count, string tensor)
    {
        RequireLittleEndianHost();
        switch (type)
        {
            case StoredElementType.Float16:
            case StoredElementType.BFloat16:
                var bits = new ushort[count];
                ReadInto(source, offset, bits, tensor);
                return HostTensor.FromBits(type.HostElementType(), bits, shape);
            case StoredElementType.Float32:
                var single = new float[count];
                ReadInto(source, offset, single, tensor);
                return HostTensor.FromSingle(single, shape);
            default:
                var values = new float[count];
                var buffer = new byte[Math.Min(count, ChunkBytes)];
                for (long done = 0; done < count;)
                {
                    int n = (int)Math.Min(buffer.Length, count - done);
                    source.ReadExactly(offset + done, buffer.AsSpan(0, n), tensor);
                    Widen(type, buffer.AsSpan(0, n), values.AsSpan((int)done, n));
                    done += n;
                }
                return HostTensor.FromSingle(values, shape);
        }
    }

    private static unsafe void ReadInto<T>(ByteSource source, long offset, T[] array, string tensor) where T : unmanaged
    {
        int perChunk = ChunkBytes / sizeof(T);
        for (int start = 0; start < array.Length; start += perChunk)
        {
            int n = Math.Min(perChunk, array.Length - start);
            source.ReadExactly(offset + (long)start * sizeof(T), MemoryMarshal.AsBytes(array.AsSpan(start, n)), tensor);
        }
    }

    private static void Widen(StoredElementType type, ReadOnlySpan<byte> bytes, Span<float> values)
    {
        if (type == StoredElementType.Float8E4M3)
        {
            Fp8E4M3.Decode(bytes, values);
            return;
        }
        // Every int8 is exactly representable in float32, so the "truncating" conversion is exact here.
        System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<sbyte, float>(MemoryMarshal.Cast<byte, sbyte>(bytes), values);
    }

    private static void RequireLittleEndianHost()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Calibration files are little-endian; this host is big-endian.");
    }
}
