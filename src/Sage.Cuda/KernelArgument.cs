namespace Sage.Cuda;

/// <summary>
/// One kernel parameter by value: up to 8 bytes, stored at the start of <see cref="Bits"/> (CUDA hosts are
/// little-endian, so a pointer to Bits is a pointer to the value whatever its size), or a larger block of 8-byte words
/// (<see cref="ByValue"/>: a 128-byte CUtensorMap).
/// Implicit conversions cover the scalar types and device buffers (their pointer), so a launch reads
/// <c>f.Launch(grid, block, 0, null, a, b, c, n)</c>.
/// </summary>
public readonly struct KernelArgument : IEquatable<KernelArgument>
{
    private KernelArgument(ulong bits, int size, string type)
    {
        Bits = bits;
        SizeInBytes = size;
        TypeName = type;
    }

    private KernelArgument(ulong[] words, string type)
    {
        Words = words;
        SizeInBytes = words.Length * sizeof(ulong);
        TypeName = type;
    }

    internal ulong Bits { get; }

    /// <summary>The value of a parameter larger than 8 bytes, in 8-byte words (null for the scalar ones).</summary>
    internal ulong[]? Words { get; }

    /// <summary>Bytes this argument occupies in the kernel's parameter list.</summary>
    public int SizeInBytes { get; }

    /// <summary>The C type it stands for, for error messages.</summary>
    public string TypeName { get; }

    public static implicit operator KernelArgument(int value) => new((uint)value, 4, "int");
    public static implicit operator KernelArgument(uint value) => new(value, 4, "unsigned int");
    public static implicit operator KernelArgument(long value) => new((ulong)value, 8, "long long");
    public static implicit operator KernelArgument(ulong value) => new(value, 8, "unsigned long long");
    public static implicit operator KernelArgument(float value) => new(BitConverter.SingleToUInt32Bits(value), 4, "float");
    public static implicit operator KernelArgument(double value) => new(BitConverter.DoubleToUInt64Bits(value), 8, "double");
    public static implicit operator KernelArgument(Half value) => new(BitConverter.HalfToUInt16Bits(value), 2, "__half");

    /// <summary>A raw device address (what a DeviceBuffer converts to).</summary>
    public static KernelArgument DevicePointer(ulong address) => new(address, 8, "pointer");

    /// <summary>
    /// A by-value parameter of <paramref name="words"/>.Length × 8 bytes (a struct such as a 128-byte CUtensorMap passed
    /// as a <c>__grid_constant__</c> parameter). The words are copied.
    /// </summary>
    public static KernelArgument ByValue(ReadOnlySpan<ulong> words, string typeName)
    {
        if (words.IsEmpty) throw new ArgumentException("A by-value parameter needs at least one 8-byte word.", nameof(words));
        ArgumentException.ThrowIfNullOrEmpty(typeName);
        return new KernelArgument(words.ToArray(), typeName);
    }

    public bool Equals(KernelArgument other) =>
        Bits == other.Bits && SizeInBytes == other.SizeInBytes &&
        (Words is null ? other.Words is null : other.Words is not null && Words.AsSpan().SequenceEqual(other.Words));
    public override bool Equals(object? obj) => obj is KernelArgument other && Equals(other);
    public override int GetHashCode() => HashCode.Combine(Bits, SizeInBytes, Words is { Length: > 0 } w ? w[0] : 0UL);
    public static bool operator ==(KernelArgument left, KernelArgument right) => left.Equals(right);
    public static bool operator !=(KernelArgument left, KernelArgument right) => !left.Equals(right);

    public override string ToString() => Words is null
        ? $"{TypeName} 0x{Bits.ToString(SizeInBytes <= 4 ? "x8" : "x16")}"
        : $"{TypeName} ({SizeInBytes} bytes)";
}
