namespace Sage.Numerics;

public static partial class Ptx
{
    /// <summary>
    /// Cuts the magnitude of <paramref name="x"/> toward zero to <paramref name="fractionBits"/> stored fraction
    /// bits (13 models the H100 FP8 tensor-core accumulator, "FP22": 1 sign + 8 exponent + 13 fraction).
    /// Implemented as clearing the low 23 − fractionBits bits of the float32 pattern, so the exponent range is
    /// float32's and the result's sign is the input's (−tiny → −0).
    /// Subnormals: the same mask applies to the subnormal fraction field, i.e. they are truncated to a multiple of
    /// 2^(−126 − fractionBits), the gradual underflow of the narrower format; they are not flushed.
    /// ±inf and NaN pass through unchanged (a NaN payload is never masked into an infinity).
    /// </summary>
    public static float TruncateFraction(float x, int fractionBits)
    {
        if ((uint)fractionBits > 23u)
            throw new ArgumentOutOfRangeException(nameof(fractionBits), fractionBits, "Expected 0..23 fraction bits (float32 has 23).");
        uint u = BitConverter.SingleToUInt32Bits(x);
        if ((u & 0x7F80_0000u) == 0x7F80_0000u)
            return x;
        uint mask = ~((1u << (23 - fractionBits)) - 1u);
        return BitConverter.UInt32BitsToSingle(u & mask);
    }
}
