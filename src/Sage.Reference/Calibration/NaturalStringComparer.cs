namespace Sage.Reference.Calibration;

/// <summary>
/// Orders names as people number layers: runs of digits compare by value, so "layer2" comes before "layer10"
/// and "model.layers.9.attn" before "model.layers.10.attn". Ties (such as "a01" and "a1") fall back to ordinal order
/// so that the order is total and stable.
/// </summary>
public sealed class NaturalStringComparer : IComparer<string?>
{
    public static NaturalStringComparer Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        int i = 0, j = 0;
        while (i < x.Length && j < y.Length)
        {
            if (char.IsAsciiDigit(x[i]) && char.IsAsciiDigit(y[j]))
            {
                int xEnd = RunEnd(x, i), yEnd = RunEnd(y, j);
                var xDigits = x.AsSpan(i, xEnd - i).TrimStart('0');
                var yDigits = y.AsSpan(j, yEnd - j).TrimStart('0');
                // Equal-length digit strings without leading zeros compare by value as text; a longer one is larger.
                int byValue = xDigits.Length != yDigits.Length
                    ? xDigits.Length.CompareTo(yDigits.Length)
                    : xDigits.SequenceCompareTo(yDigits);
                if (byValue != 0) return byValue;
                i = xEnd;
                j = yEnd;
            }
            else
            {
                int c = x[i].CompareTo(y[j]);
                if (c != 0) return c;
                i++;
                j++;
            }
        }
        int byRest = (x.Length - i).CompareTo(y.Length - j);
        return byRest != 0 ? byRest : string.CompareOrdinal(x, y);
    }

    private static int RunEnd(string s, int start)
    {
        while (start < s.Length && char.IsAsciiDigit(s[start])) start++;
        return start;
    }
}
