namespace Sage.Reference;

/// <summary>
/// Accuracy of an attention output O against the reference R, the metrics of the SageAttention papers:
/// cosine similarity, relative L1 = Σ|O − R| / Σ|R|, RMSE and the largest absolute error, all in float64.
/// </summary>
/// <remarks>
/// <para>Degenerate cases are defined, not left to 0/0: nothing compared, or both sides all zero, gives cosine 1
/// and relative L1 0; exactly one side all zero gives cosine 0; Σ|R| = 0 with some error gives relative L1 +∞;
/// Count = 0 gives RMSE and max error 0.</para>
/// <para>NaN and ±∞ are never hidden: they are counted per side, and any of them makes all four metrics NaN.</para>
/// </remarks>
public static class AccuracyMetrics
{
    private const int ChunkLength = 4096;

    public static AccuracyReport Compare(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual)
    {
        CheckLengths(expected.Length, actual.Length);
        var sums = new ErrorSums();
        for (int start = 0; start < expected.Length; start += ChunkLength)
        {
            int length = Math.Min(ChunkLength, expected.Length - start);
            sums.Add(expected.Slice(start, length), actual.Slice(start, length));
        }
        return sums.ToReport();
    }

    public static AccuracyReport Compare(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual)
    {
        CheckLengths(expected.Length, actual.Length);
        var sums = new ErrorSums();
        Span<double> widened = new double[Math.Min(ChunkLength, actual.Length)];
        for (int start = 0; start < expected.Length; start += ChunkLength)
        {
            int length = Math.Min(ChunkLength, expected.Length - start);
            var chunk = widened[..length];
            for (int i = 0; i < length; i++) chunk[i] = actual[start + i]; // exact widening
            sums.Add(expected.Slice(start, length), chunk);
        }
        return sums.ToReport();
    }

    /// <summary>Compares a backend's output tensor (any element type, widened exactly) with the float64 reference.</summary>
    public static AccuracyReport Compare(ReadOnlySpan<double> expected, HostTensor actual)
    {
        ArgumentNullException.ThrowIfNull(actual);
        CheckLengths(expected.Length, actual.Length);
        return Compare(expected, actual.ToSingleArray());
    }

    /// <summary>Compares a backend's output with the reference output; the shapes must match.</summary>
    public static AccuracyReport Compare(ReferenceResult expected, HostTensor actual)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        if (!expected.Shape.SequenceEqual(actual.Shape))
            throw new ArgumentException(
                $"Tensor actual has shape [{string.Join(", ", actual.Shape)}]; the reference output has [{string.Join(", ", expected.Shape)}].",
                nameof(actual));
        return Compare(expected.Output, actual);
    }

    /// <summary>Compares two backends' output tensors (e.g. the emulator against the GPU); the shapes must match.</summary>
    public static AccuracyReport Compare(HostTensor expected, HostTensor actual)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        if (!expected.Shape.SequenceEqual(actual.Shape))
            throw new ArgumentException(
                $"Tensor actual has shape [{string.Join(", ", actual.Shape)}]; expected has [{string.Join(", ", expected.Shape)}].",
                nameof(actual));
        var widened = new double[expected.Length];
        var single = expected.ToSingleArray();
        for (int i = 0; i < single.Length; i++) widened[i] = single[i];
        return Compare(widened, actual.ToSingleArray());
    }

    /// <summary>
    /// Compares log-sum-exp values. Rows that see no key hold −∞ in a correct result; where both sides hold −∞ they
    /// agree and are left out (Count is the number of rows compared). −∞ on one side only, or any other non-finite
    /// value, is reported as in <see cref="Compare(ReadOnlySpan{double}, ReadOnlySpan{float})"/>.
    /// </summary>
    public static AccuracyReport CompareLse(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual)
    {
        CheckLengths(expected.Length, actual.Length);
        var keptExpected = new List<double>(expected.Length);
        var keptActual = new List<double>(actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (double.IsNegativeInfinity(expected[i]) && float.IsNegativeInfinity(actual[i])) continue;
            keptExpected.Add(expected[i]);
            keptActual.Add(actual[i]);
        }
        return Compare(keptExpected.ToArray(), keptActual.ToArray());
    }

    private static void CheckLengths(long expected, long actual)
    {
        if (expected != actual)
            throw new ArgumentException($"actual holds {actual} values; expected holds {expected}. They must be the same length.", nameof(actual));
    }
}
