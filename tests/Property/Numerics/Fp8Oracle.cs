namespace Sage.Property.Tests.Numerics;

/// <summary>
/// An FP8 format described only by its bit layout, with a conversion oracle that shares nothing with the
/// production encoder: values come from the textbook formula in double, and rounding is a nearest-value
/// search over the sorted table of magnitudes (ties to the even code). The table is extended by one virtual
/// entry just past the largest finite value (480 = would-be 1.111·2^8 for E4M3, 2^16 for E5M2), which is where
/// round-to-nearest "overflows"; choosing it means overflow.
/// </summary>
public sealed class Fp8Oracle
{
    public static readonly Fp8Oracle E4M3 = new("E4M3", exponentBits: 4, mantissaBits: 3, bias: 7, hasInfinity: false);
    public static readonly Fp8Oracle E5M2 = new("E5M2", exponentBits: 5, mantissaBits: 2, bias: 15, hasInfinity: true);

    private readonly double[] magnitudes; // ascending, finite, plus the virtual overflow entry last
    private readonly int[] codes;

    public string Name { get; }
    public int ExponentBits { get; }
    public int MantissaBits { get; }
    public int Bias { get; }
    public bool HasInfinity { get; }
    public int MaxFiniteCode { get; }
    public double MaxFinite { get; }

    private Fp8Oracle(string name, int exponentBits, int mantissaBits, int bias, bool hasInfinity)
    {
        Name = name;
        ExponentBits = exponentBits;
        MantissaBits = mantissaBits;
        Bias = bias;
        HasInfinity = hasInfinity;

        var values = new List<(double Value, int Code)>();
        for (int c = 0; c < 128; c++)
            if (IsFinite(c))
                values.Add((Value(c), c));
        values.Sort((a, b) => a.Value.CompareTo(b.Value));
        MaxFiniteCode = values[^1].Code;
        MaxFinite = values[^1].Value;
        // The next step of the largest binade: its spacing added once more.
        double spacing = Math.Pow(2, (MaxFiniteCode >> mantissaBits) - bias - mantissaBits);
        values.Add((MaxFinite + spacing, MaxFiniteCode + 1));
        magnitudes = values.Select(v => v.Value).ToArray();
        codes = values.Select(v => v.Code).ToArray();
    }

    public override string ToString() => Name;

    public bool IsNaN(int code)
    {
        int e = (code & 0x7F) >> MantissaBits, m = code & ((1 << MantissaBits) - 1);
        int eMax = (1 << ExponentBits) - 1;
        return HasInfinity ? e == eMax && m != 0 : e == eMax && m == (1 << MantissaBits) - 1;
    }

    public bool IsInfinity(int code) => HasInfinity && (code & 0x7F) == ((1 << ExponentBits) - 1) << MantissaBits;

    public bool IsFinite(int code) => !IsNaN(code) && !IsInfinity(code);

    /// <summary>The textbook value: (−1)^s · 2^(1−bias) · 0.m for e = 0, (−1)^s · 2^(e−bias) · 1.m otherwise.</summary>
    public double Value(int code)
    {
        if (IsNaN(code)) return double.NaN;
        double sign = (code & 0x80) != 0 ? -1 : 1;
        if (IsInfinity(code)) return sign * double.PositiveInfinity;
        int e = (code & 0x7F) >> MantissaBits, m = code & ((1 << MantissaBits) - 1);
        double fraction = m / Math.Pow(2, MantissaBits);
        return e == 0
            ? sign * fraction * Math.Pow(2, 1 - Bias)
            : sign * (1 + fraction) * Math.Pow(2, e - Bias);
    }

    /// <summary>Expected code of the saturating conversion (<c>cvt.rn.satfinite</c>).</summary>
    public byte ExpectedSatFinite(float x) => float.IsNaN(x) ? (byte)0x7F : SatFiniteFrom(x, NearestExtended(x));

    /// <summary>Expected code of the non-saturating conversion: overflow → NaN (E4M3) or inf (E5M2).</summary>
    public byte ExpectedNoSat(float x) => float.IsNaN(x) ? (byte)0x7F : NoSatFrom(x, NearestExtended(x));

    /// <summary>Nearest entry (code without sign) of the extended table for |x|; x must not be NaN.</summary>
    public int NearestExtended(float x) => NearestExtended(Math.Abs((double)x));

    /// <summary>The satfinite code of non-NaN x given its <see cref="NearestExtended(float)"/> entry.</summary>
    public byte SatFiniteFrom(float x, int nearest) => (byte)(Math.Min(nearest, MaxFiniteCode) | SignBit(x));

    /// <summary>The non-saturating code of non-NaN x given its <see cref="NearestExtended(float)"/> entry.</summary>
    public byte NoSatFrom(float x, int nearest)
    {
        int code = nearest <= MaxFiniteCode ? nearest : HasInfinity ? ((1 << ExponentBits) - 1) << MantissaBits : 0x7F;
        return (byte)(code | SignBit(x));
    }

    private static int SignBit(float x) => BitConverter.SingleToUInt32Bits(x) >> 31 == 1 ? 0x80 : 0;

    /// <summary>Nearest entry of the extended magnitude table; a tie goes to the even code.</summary>
    private int NearestExtended(double magnitude)
    {
        int index = Array.BinarySearch(magnitudes, magnitude);
        if (index >= 0) return codes[index];
        int above = ~index;
        if (above >= magnitudes.Length) return codes[^1];
        int below = above - 1; // magnitude > 0 here, and magnitudes[0] == 0, so below >= 0
        double toBelow = magnitude - magnitudes[below], toAbove = magnitudes[above] - magnitude;
        if (toBelow < toAbove) return codes[below];
        if (toAbove < toBelow) return codes[above];
        return (codes[below] & 1) == 0 ? codes[below] : codes[above];
    }
}
