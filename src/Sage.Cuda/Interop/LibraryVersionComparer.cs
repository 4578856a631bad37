namespace Sage.Cuda.Interop;

/// <summary>
/// Orders names by their embedded version numbers, so libnvrtc.so.13 &gt; libnvrtc.so.12.8 &gt; libnvrtc.so.9
/// and cuda-13.0 &gt; cuda-12.10 &gt; cuda-12.9 (plain string order would put 12.10 below 12.9).
/// </summary>
internal sealed class LibraryVersionComparer : IComparer<string>
{
    public static LibraryVersionComparer Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        int[] a = Numbers(x ?? "");
        int[] b = Numbers(y ?? "");
        for (int i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            int ai = i < a.Length ? a[i] : -1;
            int bi = i < b.Length ? b[i] : -1;
            if (ai != bi) return ai.CompareTo(bi);
        }
        return string.CompareOrdinal(x, y);
    }

    private static int[] Numbers(string name)
    {
        var numbers = new List<int>();
        int i = 0;
        while (i < name.Length)
        {
            if (!char.IsAsciiDigit(name[i])) { i++; continue; }
            int start = i;
            while (i < name.Length && char.IsAsciiDigit(name[i])) i++;
            numbers.Add(int.TryParse(name.AsSpan(start, i - start), out int n) ? n : int.MaxValue);
        }
        return [.. numbers];
    }
}
