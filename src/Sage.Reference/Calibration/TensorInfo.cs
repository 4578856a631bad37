namespace Sage.Reference.Calibration;

/// <summary>What a calibration file's header says about one tensor, known before any data is read.</summary>
public sealed record TensorInfo(string Name, StoredElementType ElementType, IReadOnlyList<int> Shape)
{
    /// <summary>Number of elements.</summary>
    public long Length => Shape.Aggregate(1L, (product, d) => product * d);

    public override string ToString() => $"{Name}: {ElementType} {TensorGeometry.Format(Shape)}";
}
