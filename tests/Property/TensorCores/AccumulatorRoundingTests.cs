using FsCheck.Xunit;
using Sage.Emulation.TensorCores;

namespace Sage.Property.Tests.TensorCores;

public sealed class AccumulatorRoundingTests
{
    [Property(MaxTest = 2000)]
    public bool RoundToHalf_agrees_with_IEEE_conversion_from_an_exact_double(int sum, sbyte scaleRaw)
    {
        int scale = scaleRaw % 40 - 20;
        double exact = Math.ScaleB((double)sum, scale);
        Half ieee = (Half)exact;                      // .NET rounds double → Half to nearest-even
        float model = AccumulatorRounding.RoundToHalf(sum, scale, keepSignOnUnderflow: true);
        return BitConverter.HalfToUInt16Bits(ieee) == BitConverter.HalfToUInt16Bits((Half)model);
    }

    [Property(MaxTest = 2000)]
    public bool TruncateToFloat_cuts_toward_zero_to_the_given_fraction_bits(long sum, sbyte scaleRaw)
    {
        sum >>= 12; // keep |sum| < 2^52 so the double below is exact
        int scale = scaleRaw % 60 - 30;
        double exact = Math.ScaleB((double)sum, scale);
        float t = AccumulatorRounding.TruncateToFloat(sum, scale, 13);
        if (sum == 0) return t == 0;
        double ulp = Math.ScaleB(1.0, Math.Max(Math.ILogB(exact), -126) - 13);
        return Math.Abs(t) <= Math.Abs(exact) && Math.Abs(exact) - Math.Abs(t) < ulp && Math.Sign(t) == Math.Sign(exact)
            && Math.IEEERemainder(t, ulp) == 0;
    }
}
