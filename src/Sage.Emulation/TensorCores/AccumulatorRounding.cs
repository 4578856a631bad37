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
        // v < 2^63 and keeps at most fractionBits+1 significant bits: exact in double, then exact in float.
        double d = Math.ScaleB((double)v, scale);
        float f = (float)d;
        return neg ? -f : f;
    }

    /// <summary>
    /// Rounds S·2^scale to nearest-even FP16 (subnormals kept, overflow to ±inf) and returns it widened to float32.
    /// Zero returns +0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float RoundToHalf(long sum, int scale)
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
        if (q == 0) bits = 0;
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
