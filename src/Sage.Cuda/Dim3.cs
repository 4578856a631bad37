namespace Sage.Cuda;

/// <summary>Grid or block dimensions of a launch.</summary>
public readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1)
{
    /// <summary>X·Y·Z.</summary>
    public ulong Volume => (ulong)X * Y * Z;

    public static implicit operator Dim3(uint x) => new(x);

    /// <summary>Enough blocks of <paramref name="blockSize"/> to cover <paramref name="count"/> items.</summary>
    public static Dim3 Covering(long count, uint blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfZero(blockSize);
        long blocks = (count + blockSize - 1) / blockSize;
        if (blocks > uint.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"needs {blocks} blocks of {blockSize}, more than a grid dimension holds");
        return new Dim3((uint)blocks);
    }

    public override string ToString() => $"({X}, {Y}, {Z})";
}
