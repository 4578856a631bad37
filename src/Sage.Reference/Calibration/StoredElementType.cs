namespace Sage.Reference.Calibration;

/// <summary>
/// Element type of a tensor as stored in a calibration file. Wider than <see cref="ElementType"/>: FP8 E4M3 and
/// INT8 dumps exist, and are widened exactly to Float32 when turned into a <see cref="HostTensor"/>.
/// </summary>
public enum StoredElementType
{
    Float16,
    BFloat16,
    Float32,
    Float8E4M3,
    Int8,
}

public static class StoredElementTypeExtensions
{
    /// <summary>Bytes one stored element occupies.</summary>
    public static int SizeInBytes(this StoredElementType type) => type switch
    {
        StoredElementType.Float16 or StoredElementType.BFloat16 => 2,
        StoredElementType.Float32 => 4,
        StoredElementType.Float8E4M3 or StoredElementType.Int8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown stored element type."),
    };

    /// <summary>
    /// The <see cref="HostTensor"/> element type a stored tensor becomes: itself for FP16, BF16 and FP32;
    /// Float32 for FP8 E4M3 and INT8 (both widen exactly).
    /// </summary>
    public static ElementType HostElementType(this StoredElementType type) => type switch
    {
        StoredElementType.Float16 => ElementType.Float16,
        StoredElementType.BFloat16 => ElementType.BFloat16,
        StoredElementType.Float32 or StoredElementType.Float8E4M3 or StoredElementType.Int8 => ElementType.Float32,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown stored element type."),
    };

    /// <summary>The stored type that holds a host element type without conversion.</summary>
    public static StoredElementType ToStored(this ElementType type) => type switch
    {
        ElementType.Float16 => StoredElementType.Float16,
        ElementType.BFloat16 => StoredElementType.BFloat16,
        ElementType.Float32 => StoredElementType.Float32,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown element type."),
    };
}
