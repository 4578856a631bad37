using Sage.Numerics;

namespace Sage.Reference;

/// <summary>
/// Rounds float64 results into the 16-bit output formats with a single rounding. Going through float32
/// first would round twice and could break a tie the wrong way (e.g. 1 + 2⁻¹¹ + 2⁻²⁴ must become the FP16
/// value 1 + 2⁻¹⁰, but float32 first makes it the exact tie 1 + 2⁻¹¹, which then rounds down to 1).
/// </summary>
internal static class OutputRounding
{
    /// <summary>FP16 bits, round-to-nearest-even straight from float64 (.NET's double→Half conversion is correctly rounded).</summary>
    public static ushort ToHalfBits(double value) => BitConverter.HalfToUInt16Bits((Half)value);

    /// <summary>
    /// BF16, round-to-nearest-even from float64. BFloat16 only rounds from float32, so we first round to float32
    /// with round-to-odd, which keeps enough information (16 spare bits, at least 2 are needed) that the second
    /// rounding gives exactly the correctly rounded result.
    /// </summary>
    public static BFloat16 ToBFloat16(double value) => BFloat16.FromSingle(RoundToOddSingle(value));

    /// <summary>
    /// float32 with round-to-odd: exact values stay, otherwise the one of the two bracketing floats whose last bit is 1.
    /// Consecutive bit patterns alternate parity, so the odd neighbour is either the nearest float or the next one
    /// towards <paramref name="value"/>. Overflow lands on ±float.MaxValue (odd), as round-to-odd requires.
    /// </summary>
    internal static float RoundToOddSingle(double value)
    {
        float nearest = (float)value;
        if ((double)nearest == value || double.IsNaN(value)) return nearest;
        if ((BitConverter.SingleToUInt32Bits(nearest) & 1u) != 0) return nearest;
        return value > nearest ? MathF.BitIncrement(nearest) : MathF.BitDecrement(nearest);
    }
}
