namespace Sage.Gpu.Tests.Attention;

/// <summary>
/// Bit-for-bit comparison of two attention results (output elements and LSE values). Counts every mismatching element
/// and remembers the first one by (b, h, row, channel) with both values, so a failure names where to look.
/// </summary>
internal sealed class OutputComparison
{
    public long ElementsCompared { get; private set; }
    public long Mismatches { get; private set; }
    public string? FirstMismatch { get; private set; }

    /// <summary>
    /// Mismatching elements between two device outputs read back as 16-bit words, plus mismatching LSE values compared
    /// by their bits (pass null for both LSEs when there are none).
    /// </summary>
    public static long BitMismatches(ushort[] expected, ushort[] actual, float[]? expectedLse = null, float[]? actualLse = null)
    {
        if (expected.Length != actual.Length) throw new InvalidOperationException($"Output lengths differ: {expected.Length} and {actual.Length}.");
        long mismatches = 0;
        for (long e = 0; e < expected.Length; e++) if (expected[e] != actual[e]) mismatches++;
        if (expectedLse is null && actualLse is null) return mismatches;
        if (expectedLse is null || actualLse is null || expectedLse.Length != actualLse.Length)
            throw new InvalidOperationException("The LSEs differ in presence or length.");
        for (long e = 0; e < expectedLse.Length; e++)
            if (BitConverter.SingleToInt32Bits(expectedLse[e]) != BitConverter.SingleToInt32Bits(actualLse[e])) mismatches++;
        return mismatches;
    }

    public static OutputComparison Compare(AttentionProblem problem, AttentionResult expected, AttentionResult actual)
    {
        var c = new OutputComparison();
        c.CompareOutput(problem, expected.Output, actual.Output);
        if (problem.ReturnLse) c.CompareLse(problem, expected.Lse!, actual.Lse!);
        return c;
    }

    private void CompareOutput(AttentionProblem problem, HostTensor expected, HostTensor actual)
    {
        if (expected.ElementType != actual.ElementType)
            throw new InvalidOperationException($"Output types differ: emulator {expected.ElementType}, GPU {actual.ElementType}.");
        var s = problem.Shape;
        long n = expected.Length;
        if (actual.Length != n) throw new InvalidOperationException($"Output lengths differ: emulator {n}, GPU {actual.Length}.");
        bool wide = expected.ElementType == ElementType.Float32;
        for (long i = 0; i < n; i++)
        {
            uint e = wide ? BitConverter.SingleToUInt32Bits(expected.Single[(int)i]) : expected.Bits16[(int)i];
            uint a = wide ? BitConverter.SingleToUInt32Bits(actual.Single[(int)i]) : actual.Bits16[(int)i];
            ElementsCompared++;
            if (e == a) continue;
            Mismatches++;
            if (FirstMismatch is null)
            {
                var (b, h, row, ch) = Decode(problem.Layout, s, i);
                FirstMismatch = $"output (b={b}, h={h}, row={row}, channel={ch}): emulator {expected[i]:R} (0x{e:X}), GPU {actual[i]:R} (0x{a:X})";
            }
        }
    }

    private void CompareLse(AttentionProblem problem, float[] expected, float[] actual)
    {
        var s = problem.Shape;
        if (expected.Length != actual.Length) throw new InvalidOperationException($"LSE lengths differ: {expected.Length} vs {actual.Length}.");
        for (int i = 0; i < expected.Length; i++)
        {
            uint e = BitConverter.SingleToUInt32Bits(expected[i]), a = BitConverter.SingleToUInt32Bits(actual[i]);
            ElementsCompared++;
            if (e == a) continue;
            Mismatches++;
            if (FirstMismatch is null)
            {
                int row = i % s.QueryLength, bh = i / s.QueryLength;
                FirstMismatch = $"LSE (b={bh / s.QueryHeads}, h={bh % s.QueryHeads}, row={row}): emulator {expected[i]:R} (0x{e:X8}), GPU {actual[i]:R} (0x{a:X8})";
            }
        }
    }

    private static (int B, int H, int Row, int Channel) Decode(TensorLayout layout, AttentionShape s, long index)
    {
        int d = s.HeadDim;
        int ch = (int)(index % d);
        long rest = index / d;
        if (layout == TensorLayout.HND)
        {
            int row = (int)(rest % s.QueryLength);
            rest /= s.QueryLength;
            return ((int)(rest / s.QueryHeads), (int)(rest % s.QueryHeads), row, ch);
        }
        int h = (int)(rest % s.QueryHeads);
        rest /= s.QueryHeads;
        return ((int)(rest / s.QueryLength), h, (int)(rest % s.QueryLength), ch);
    }

    public string Summary(string label) =>
        $"{label}: {ElementsCompared} elements compared, {Mismatches} mismatches" + (FirstMismatch is null ? "" : $"; first: {FirstMismatch}");
}
