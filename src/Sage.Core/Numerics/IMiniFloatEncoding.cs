namespace Sage.Numerics;

/// <summary>
/// Compile-time description of one float32 → FP8 conversion: layout plus what happens on overflow.
/// Implemented by empty structs so generic code is specialised per conversion.
/// </summary>
internal interface IMiniFloatEncoding
{
    /// <summary>Stored fraction bits.</summary>
    static abstract int MantissaBits { get; }
    static abstract int Bias { get; }
    /// <summary>Code of the largest finite magnitude (sign bit clear).</summary>
    static abstract uint MaxFiniteCode { get; }
    /// <summary>Code written on overflow when not saturating: NaN for E4M3 (it has no infinity), +inf for E5M2.</summary>
    static abstract uint OverflowCode { get; }
    /// <summary>True for <c>.satfinite</c>: overflow and ±inf clamp to ±max finite.</summary>
    static abstract bool SatFinite { get; }
}

internal readonly struct E4M3SatFinite : IMiniFloatEncoding
{
    public static int MantissaBits => 3;
    public static int Bias => 7;
    public static uint MaxFiniteCode => 0x7E;
    public static uint OverflowCode => 0x7F;
    public static bool SatFinite => true;
}

internal readonly struct E4M3NoSat : IMiniFloatEncoding
{
    public static int MantissaBits => 3;
    public static int Bias => 7;
    public static uint MaxFiniteCode => 0x7E;
    public static uint OverflowCode => 0x7F;
    public static bool SatFinite => false;
}

internal readonly struct E5M2SatFinite : IMiniFloatEncoding
{
    public static int MantissaBits => 2;
    public static int Bias => 15;
    public static uint MaxFiniteCode => 0x7B;
    public static uint OverflowCode => 0x7C;
    public static bool SatFinite => true;
}

internal readonly struct E5M2NoSat : IMiniFloatEncoding
{
    public static int MantissaBits => 2;
    public static int Bias => 15;
    public static uint MaxFiniteCode => 0x7B;
    public static uint OverflowCode => 0x7C;
    public static bool SatFinite => false;
}
