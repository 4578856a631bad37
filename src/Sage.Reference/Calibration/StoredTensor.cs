using System.Runtime.InteropServices;

namespace Sage.Reference.Calibration;

/// <summary>
/// One named tensor exactly as a calibration file stores it: element type, C-order shape and raw little-endian
/// bytes. This is the typed raw accessor for FP8 E4M3 and INT8 dumps; <see cref="ToHostTensor"/> widens them
/// exactly to Float32 (FP8 through <see cref="Sage.Numerics.Fp8E4M3.Decode(byte)"/>).
/// </summary>
public sealed class StoredTensor
{
    private readonly byte[] _data;
    private readonly int[] _shape;

    /// <summary>Wraps <paramref name="data"/> (not copied); its length must be the shape's element count times the element size.</summary>
    public StoredTensor(string name, StoredElementType elementType, int[] shape, byte[] data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        if (!Enum.IsDefined(elementType))
            throw new ArgumentOutOfRangeException(nameof(elementType), elementType, "Unknown stored element type.");
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0)
                throw new ArgumentOutOfRangeException(nameof(shape), d, $"Shape {TensorGeometry.Format(shape)} of tensor '{name}' has a negative dimension.");
            // Saturate: a product beyond any array can never equal data's length, and must not wrap around to it.
            count = count > Array.MaxLength ? count : count * d;
        }
        if (count > Array.MaxLength || count * elementType.SizeInBytes() != data.LongLength)
            throw new ArgumentException(
                $"Tensor '{name}' of shape {TensorGeometry.Format(shape)} and type {elementType} needs {count * elementType.SizeInBytes()} bytes; data has {data.LongLength}.",
                nameof(data));
        Name = name;
        ElementType = elementType;
        _shape = (int[])shape.Clone();
        _data = data;
        Length = count;
    }

    public string Name { get; }
    public StoredElementType ElementType { get; }
    public IReadOnlyList<int> Shape => _shape;

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>The raw little-endian bytes, C order.</summary>
    public ReadOnlySpan<byte> Bytes => _data;

    /// <summary>Elements of an INT8 tensor.</summary>
    public ReadOnlySpan<sbyte> Int8Values => ElementType == StoredElementType.Int8
        ? MemoryMarshal.Cast<byte, sbyte>(_data.AsSpan())
        : throw new InvalidOperationException($"Tensor '{Name}' is {ElementType}, not Int8.");

    /// <summary>Codes of an FP8 E4M3 tensor.</summary>
    public ReadOnlySpan<byte> Fp8E4M3Codes => ElementType == StoredElementType.Float8E4M3
        ? _data
        : throw new InvalidOperationException($"Tensor '{Name}' is {ElementType}, not Float8E4M3.");

    /// <summary>
    /// The values as a host tensor: FP16, BF16 and FP32 keep their bits; FP8 E4M3 and INT8 become Float32 (exact).
    /// </summary>
    public HostTensor ToHostTensor() => HostTensorDecoder.Decode(ElementType, _shape, _data);

    /// <summary>A new name for the same data.</summary>
    public StoredTensor WithName(string name) => new(name, ElementType, _shape, _data);

    /// <summary>Stores a host tensor without conversion (FP16, BF16 or FP32).</summary>
    public static StoredTensor FromHostTensor(string name, HostTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var shape = tensor.Shape.ToArray();
        byte[] data = tensor.ElementType == Sage.ElementType.Float32
            ? MemoryMarshal.AsBytes(tensor.Single).ToArray()
            : MemoryMarshal.AsBytes(tensor.Bits16).ToArray();
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Calibration files are little-endian; this host is not.");
        return new StoredTensor(name, tensor.ElementType.ToStored(), shape, data);
    }

    public static StoredTensor FromInt8(string name, sbyte[] values, params int[] shape) =>
        new(name, StoredElementType.Int8, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    public static StoredTensor FromFp8E4M3(string name, byte[] codes, params int[] shape) =>
        new(name, StoredElementType.Float8E4M3, shape, (byte[])codes.Clone());

    public override string ToString() => $"{Name}: {ElementType} {TensorGeometry.Format(_shape)}";
}
