namespace Sage;

/// <summary>Element type of a host tensor handed to or returned by a backend.</summary>
public enum ElementType
{
    Float16,
    BFloat16,
    Float32,
}

public static class ElementTypeExtensions
{
    /// <summary>Bytes one element occupies.</summary>
    public static int SizeInBytes(this ElementType type) => type switch
    {
        ElementType.Float16 or ElementType.BFloat16 => 2,
        ElementType.Float32 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown element type."),
    };
}
