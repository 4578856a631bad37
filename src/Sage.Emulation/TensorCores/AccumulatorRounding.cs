using System.Numerics;
using System.Runtime.CompilerServices;

namespace Sage.Emulation.TensorCores;

/// <summary>
/// Final conversion of a tensor core's exact fixed-point sum S·2^scale into the accumulator register.
/// Pure integer arithmetic, so the result is the same on every CPU.
/// </summary>
public static class AccumulatorRounding
{
    /// <summary>
    /// Truncates (toward zero) to <paramref name="fractionBits"/> fraction bits and returns the float32 value,
    /// with float32's subnormal range (exponent pinned at −126). Zero returns +0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float TruncateToFloat(long sum, int scale, int fractionBits)
    {
        if (sum == 0) return 0f;
        bool neg = sum < 0;
        ulong v = neg ? (ulong)(-sum) : (ulong)sum;
        int top = 63 - BitOperations.LeadingZeroCount(v);
        int exp = Math.Max(top + scale, -126);
        int drop = exp - fractionBits - scale;
        if (drop > 0)
        {
            if (drop >= 64) return neg ? -0f : 0f;
            v = v >> drop << drop;
        }
        // Assemble the float directly: v now has at most fractionBits+1 ≤ 24 significant bits, so the shifts below
        // drop only zero bits.
        uint bits;
        int unclamped = top + scale;
        if (unclamped >= -126)
        {
            if (unclamped > 127) return neg ? float.NegativeInfinity : float.PositiveInfinity;
            uint m = (uint)(top > 23 ? v >> (top - 23) : v << (23 - top));
            bits = ((uint)(unclamped + 127) << 23) | (m & 0x7FFFFF);
        }
        else
        {
            int sh = scale + 149; // subnormal: value = bits · 2^−149
            bits = (uint)(sh >= 0 ? v << sh : v >> -sh);
        }
        return BitConverter.UInt32BitsToSingle(neg ? bits | 0x8000_0000u : bits);
    }

    /// <summary>
    /// Rounds S·2^scale to nearest-even FP16 (subnormals kept, overflow to ±inf) and returns it widened to float32.
    /// Zero returns +0. A nonzero sum that rounds to zero returns +0 (what the H100's FP16-accumulator QGMMA
    /// writes, measured) unless <paramref name="keepSignOnUnderflow"/> (IEEE addition, e.g. HADD2) asks for ±0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float RoundToHalf(long sum, int scale, bool keepSignOnUnderflow = false)
    {
        if (sum == 0) return 0f;
        bool neg = sum < 0;
        ulong v = neg ? (ulong)(-sum) : (ulong)sum;
        int top = 63 - BitOperations.LeadingZeroCount(v);
        int exp = Math.Max(top + scale, -14);
        int ulpExp = exp - 10;
        int shift = ulpExp - scale;
        ulong q;
        if (shift <= 0)
        {
            q = v << -shift;
        }
        else if (shift >= 64)
        {
            q = 0; // v < 2^63 < half an ulp
        }
        else
        {
            q = v >> shift;
            ulong rem = v & ((1UL << shift) - 1);
            ulong half = 1UL << (shift - 1);
            if (rem > half || (rem == half && (q & 1) != 0)) q++;
        }
        ushort bits;
        if (q == 0) return neg && keepSignOnUnderflow ? -0f : 0f;
        else if (q < 1024) bits = (ushort)q; // subnormal (ulpExp == −24)
        else
        {
            if (q == 2048) { q = 1024; ulpExp++; }
            int biased = ulpExp + 10 + 15;
            bits = biased >= 31 ? (ushort)0x7C00 : (ushort)((biased << 10) | (int)(q - 1024));
        }
        float f = (float)BitConverter.UInt16BitsToHalf(bits);
        return neg ? -f : f;
    }
}
