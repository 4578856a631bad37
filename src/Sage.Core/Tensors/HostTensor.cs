using System.Runtime.InteropServices;
using Sage.Numerics;

namespace Sage;

/// <summary>
/// A dense, row-major host tensor of FP16, BF16 or FP32 elements. FP16 and BF16 are held as raw
/// 16-bit patterns so that no value is ever re-rounded on the way in or out.
/// </summary>
public sealed class HostTensor
{
    private readonly ushort[]? _bits16;
    private readonly float[]? _single;

    private HostTensor(ElementType type, int[] shape, ushort[]? bits16, float[]? single)
    {
        ElementType = type;
        Shape = shape;
        _bits16 = bits16;
        _single = single;
    }

    public ElementType ElementType { get; }
    public IReadOnlyList<int> Shape { get; }
    public long Length => _bits16?.LongLength ?? _single!.LongLength;

    public static HostTensor FromSingle(float[] data, params int[] shape) =>
        new(ElementType.Float32, CheckedShape(shape, data.LongLength, nameof(data)), null, data);

    public static HostTensor FromHalf(Half[] data, params int[] shape) =>
        new(ElementType.Float16, CheckedShape(shape, data.LongLength, nameof(data)), MemoryMarshal.Cast<Half, ushort>(data).ToArray(), null);

    public static HostTensor FromBFloat16(BFloat16[] data, params int[] shape) =>
        new(ElementType.BFloat16, CheckedShape(shape, data.LongLength, nameof(data)), MemoryMarshal.Cast<BFloat16, ushort>(data).ToArray(), null);

    /// <summary>Wraps raw 16-bit patterns (FP16 or BF16) without copying.</summary>
    public static HostTensor FromBits(ElementType type, ushort[] bits, params int[] shape)
    {
        if (type == ElementType.Float32)
            throw new ArgumentException("Raw 16-bit patterns cannot hold Float32 elements; use FromSingle.", nameof(type));
        return new(type, CheckedShape(shape, bits.LongLength, nameof(bits)), bits, null);
    }

    /// <summary>Rounds float32 values into a tensor of <paramref name="type"/> (round-to-nearest-even).</summary>
    public static HostTensor Create(ElementType type, ReadOnlySpan<float> values, params int[] shape)
    {
        switch (type)
        {
            case ElementType.Float32:
                return FromSingle(values.ToArray(), shape);
            case ElementType.Float16:
                var h = new ushort[values.Length];
                for (int i = 0; i < h.Length; i++) h[i] = BitConverter.HalfToUInt16Bits((Half)values[i]);
                return FromBits(type, h, shape);
            case ElementType.BFloat16:
                var b = new ushort[values.Length];
                for (int i = 0; i < b.Length; i++) b[i] = BFloat16.FromSingle(values[i]).Bits;
                return FromBits(type, b, shape);
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown element type.");
        }
    }

    /// <summary>Element <paramref name="index"/> (flat, row-major), widened exactly to float32.</summary>
    public float this[long index] => ElementType switch
    {
        ElementType.Float32 => _single![index],
        ElementType.Float16 => (float)BitConverter.UInt16BitsToHalf(_bits16![index]),
        _ => BFloat16.FromBits(_bits16![index]).ToSingle(),
    };

    /// <summary>Raw 16-bit patterns of an FP16 or BF16 tensor.</summary>
    public ReadOnlySpan<ushort> Bits16 => _bits16 ?? throw new InvalidOperationException($"A {ElementType} tensor has no 16-bit patterns.");

    /// <summary>Elements of a Float32 tensor.</summary>
    public ReadOnlySpan<float> Single => _single ?? throw new InvalidOperationException($"A {ElementType} tensor is not Float32.");

    /// <summary>All elements widened exactly to float32, in row-major order.</summary>
    public float[] ToSingleArray()
    {
        var result = new float[Length];
        CopyTo(result);
        return result;
    }

    /// <summary>Writes all elements, widened exactly to float32, into <paramref name="destination"/>.</summary>
    public void CopyTo(Span<float> destination)
    {
        if (destination.Length < Length)
            throw new ArgumentException($"Destination holds {destination.Length} elements; the tensor has {Length}.", nameof(destination));
        switch (ElementType)
        {
            case ElementType.Float32:
                _single.AsSpan().CopyTo(destination);
                break;
            case ElementType.Float16:
                System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(
                    MemoryMarshal.Cast<ushort, Half>(_bits16.AsSpan()), destination);
                break;
            default:
                for (int i = 0; i < _bits16!.Length; i++) destination[i] = BitConverter.UInt32BitsToSingle((uint)_bits16[i] << 16);
                break;
        }
    }

    private static int[] CheckedShape(int[] shape, long length, string dataName)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long product = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentOutOfRangeException(nameof(shape), d, $"Shape [{string.Join(", ", shape)}] has a negative dimension.");
            product *= d;
        }
        if (product != length)
            throw new ArgumentException(
                $"Shape [{string.Join(", ", shape)}] holds {product} elements but {dataName} has {length}.", dataName);
        return (int[])shape.Clone();
    }
}
