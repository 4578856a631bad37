using System.Text;

namespace Sage.Gpu.Tests.Preprocessing;

/// <summary>
/// Element-by-element comparison of a GPU output with the emulator's: bytes for integer and FP8 codes, bit
/// patterns for floats. A mismatch names the stage, the first differing element by its indices and both values.
/// </summary>
internal sealed class StageComparison(string problem)
{
    private readonly StringBuilder _failures = new();

    public long BytesCompared { get; private set; }
    public long Mismatches { get; private set; }

    /// <summary>Signed 8-bit values (INT8 Q/K, or INT4 already unpacked), <paramref name="bytesOnDevice"/> bytes read.</summary>
    public void Values(string stage, ReadOnlySpan<sbyte> expectedSpan, ReadOnlySpan<sbyte> actualSpan, long bytesOnDevice, params (string Name, int Size)[] dims)
    {
        sbyte[] expected = expectedSpan.ToArray(), actual = actualSpan.ToArray();
        Compare(stage, expected.Length, actual.Length, bytesOnDevice, dims, i => expected[i] == actual[i], i => $"{expected[i]} vs GPU {actual[i]}");
    }

    public void Codes(string stage, ReadOnlySpan<byte> expectedSpan, ReadOnlySpan<byte> actualSpan, params (string Name, int Size)[] dims)
    {
        byte[] expected = expectedSpan.ToArray(), actual = actualSpan.ToArray();
        Compare(stage, expected.Length, actual.Length, actual.Length, dims, i => expected[i] == actual[i], i => $"0x{expected[i]:X2} vs GPU 0x{actual[i]:X2}");
    }

    public void Floats(string stage, ReadOnlySpan<float> expectedSpan, ReadOnlySpan<float> actualSpan, params (string Name, int Size)[] dims)
    {
        float[] expected = expectedSpan.ToArray(), actual = actualSpan.ToArray();
        Compare(stage, expected.Length, actual.Length, 4L * actual.Length, dims,
            i => BitConverter.SingleToUInt32Bits(expected[i]) == BitConverter.SingleToUInt32Bits(actual[i]),
            i => $"{expected[i]:R} (0x{BitConverter.SingleToUInt32Bits(expected[i]):X8}) vs GPU {actual[i]:R} (0x{BitConverter.SingleToUInt32Bits(actual[i]):X8})");
    }

    private delegate bool Equal(int index);
    private delegate string Describe(int index);

    private void Compare(string stage, int expectedLength, int actualLength, long bytes, (string Name, int Size)[] dims, Equal equal, Describe describe)
    {
        if (expectedLength != actualLength)
        {
            _failures.AppendLine($"{stage}: GPU wrote {actualLength} elements, the emulator {expectedLength}");
            Mismatches++;
            return;
        }
        BytesCompared += bytes;
        int count = 0, first = -1;
        for (int i = 0; i < expectedLength; i++)
        {
            if (equal(i)) continue;
            if (first < 0) first = i;
            count++;
        }
        if (count == 0) return;
        Mismatches += count;
        _failures.AppendLine($"{stage}: {count} of {expectedLength} elements differ; first at [{Indices(first, dims)}]: emulator {describe(first)}");
    }

    private static string Indices(int flat, (string Name, int Size)[] dims)
    {
        var parts = new string[dims.Length];
        for (int i = dims.Length - 1; i >= 0; i--)
        {
            parts[i] = $"{dims[i].Name}={flat % dims[i].Size}";
            flat /= dims[i].Size;
        }
        return string.Join(", ", parts);
    }

    public void ThrowIfAny()
    {
        if (_failures.Length > 0) Xunit.Assert.Fail($"{problem}\n{_failures}");
    }
}
