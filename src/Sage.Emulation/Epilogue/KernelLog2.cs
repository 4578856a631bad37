namespace Sage.Emulation.Epilogue;

/// <summary>
/// log2 of a positive finite fp32 value in binary64, by the algorithm of docs/kernel-spec.md §10 (exact exponent
/// split, then 2/ln2·atanh series in u = (f−1)/(f+1) by Horner with FMA). Specified so that the GPU's double
/// arithmetic reproduces every bit; no platform libm is involved.
/// </summary>
public static class KernelLog2
{
    private const double TwoOverLn2 = 2.8853900817779268;

    public static double Evaluate(float x)
    {
        if (!(x > 0f) || !float.IsFinite(x))
            throw new ArgumentOutOfRangeException(nameof(x), x, "KernelLog2 takes a positive finite value.");
        uint bits = BitConverter.SingleToUInt32Bits(x);
        int field = (int)(bits >> 23);
        uint fraction = bits & 0x7FFFFFu;
        int e;
        if (field == 0)
        {
            // Subnormal: normalise the fraction so that f = 1.xxx exactly.
            int shift = System.Numerics.BitOperations.LeadingZeroCount(fraction) - 8;
            fraction = (fraction << shift) & 0x7FFFFFu;
            e = -126 - shift;
        }
        else e = field - 127;
        double f = 1.0 + fraction / 8388608.0; // exact
        double u = (f - 1.0) / (f + 1.0);
        double z = u * u;
        double p = 1.0 / 39.0;
        for (int k = 18; k >= 0; k--) p = Math.FusedMultiplyAdd(p, z, 1.0 / (2 * k + 1));
        return e + u * p * TwoOverLn2;
    }
}
