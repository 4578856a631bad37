namespace Sage.Reference.Calibration;

/// <summary>
/// Shape arithmetic that cannot overflow: dimensions come from untrusted headers, so every product is checked
/// before it is compared with a byte count or used to size an allocation.
/// </summary>
internal static class TensorGeometry
{
    /// <summary>Most dimensions accepted (NumPy's own limit).</summary>
    public const int MaxRank = 64;

    /// <summary>
    /// Validates raw dimensions and returns them as ints with the element count. Throws
    /// <see cref="CalibrationFormatException"/> for a negative or oversized dimension, or a count that no single
    /// array can hold.
    /// </summary>
    public static (int[] Shape, long Count) CheckShape(IReadOnlyList<long> dims, string file, string? tensor)
    {
        if (dims.Count > MaxRank)
            throw new CalibrationFormatException(file, tensor, $"the shape has {dims.Count} dimensions; at most {MaxRank} are supported");
        var shape = new int[dims.Count];
        for (int i = 0; i < dims.Count; i++)
        {
            long d = dims[i];
            if (d < 0)
                throw new CalibrationFormatException(file, tensor, $"shape {Format(dims)} has a negative dimension ({d}) at index {i}");
            if (d > int.MaxValue)
                throw new CalibrationFormatException(file, tensor, $"shape {Format(dims)} has dimension {d} at index {i}; at most {int.MaxValue} is supported");
            shape[i] = (int)d;
        }
        if (shape.Contains(0)) return (shape, 0);
        // Saturating product: every dimension is below 2^31, so stopping at Array.MaxLength never overflows.
        long count = 1;
        foreach (int d in shape)
        {
            count *= d;
            if (count > Array.MaxLength)
                throw new CalibrationFormatException(file, tensor,
                    $"shape {Format(dims)} holds more elements than one array can ({Array.MaxLength})");
        }
        return (shape, count);
    }

    public static string Format(IReadOnlyList<long> dims) => $"[{string.Join(", ", dims)}]";

    public static string Format(IReadOnlyList<int> dims) => $"[{string.Join(", ", dims)}]";
}
