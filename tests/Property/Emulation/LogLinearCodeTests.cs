using System.Numerics;
using Sage.Emulation.Softmax;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// Stage LogLinearCodes, the code of z (docs/kernel-spec.md §7.8, step 8'): <see cref="LogLinearCodes.Code"/> (which uses
/// .NET's float → Half conversion and Half arithmetic) equals an exact integer reference of the kernel's two instructions,
/// cvt.rn.relu.f16.f32 and the fp16 add of 1536, on every edge float of <see cref="LogLinearEdgeFloats"/>; where the
/// kernel's z lies, (0, 126.2], the code is the nearest integer (ties to even) of the fp16-rounded z.
/// </summary>
public class LogLinearCodeTests
{
    [Fact]
    public void CodeEqualsTheExactReferenceOnEdgeFloats()
    {
        int mismatches = 0;
        string first = "";
        foreach (float z in LogLinearEdgeFloats.All)
        {
            int expected = ReferenceCode(z), actual = LogLinearCodes.Code(z);
            if (expected != actual && mismatches++ == 0)
                first = $"z = {z:R} (0x{BitConverter.SingleToUInt32Bits(z):X8}): code {actual}, reference {expected}";
        }
        Assert.True(mismatches == 0, $"{mismatches} mismatches; first: {first}");
    }

    [Fact]
    public void InTheKernelsRangeTheCodeIsTheNearestIntegerOfTheFp16RoundedZ()
    {
        int checkedCount = 0;
        foreach (float z in LogLinearEdgeFloats.All)
        {
            if (!(z > 0 && z <= 126.2f)) continue;
            var (sig, exp) = Exact(z);
            var (k, q) = RoundToHalf(sig, exp);
            int n = (int)RoundTo(k, q, 0); // rne of h = k·2^q
            Assert.True(n is >= 0 and <= 126, $"z = {z:R}: n = {n}");
            Assert.True(n == LogLinearCodes.Code(z), $"z = {z:R}: code {LogLinearCodes.Code(z)}, rne(f16(z)) = {n}");
            checkedCount++;
        }
        Assert.True(checkedCount > 100_000, $"only {checkedCount} inputs in (0, 126.2]");
    }

    [Theory]
    [InlineData(float.NaN, 0xFF)]
    [InlineData(float.PositiveInfinity, 0)]   // fp16 ∞ (0x7C00)
    [InlineData(float.NegativeInfinity, 0)]   // relu: +0, then 1536 (0x6600)
    [InlineData(-0f, 0)]
    [InlineData(-3.75f, 0)]
    [InlineData(0.5f, 0)]                     // tie, to the even 1536
    [InlineData(0.5002f, 0)]                  // fp16 rounds it to 0.5: the double rounding of the kernel
    [InlineData(0.500244140625f, 0)]          // the fp16 tie 0.5 + 2^−12, to the even 0.5
    [InlineData(0.5003f, 1)]                  // fp16: 0.5 + 2^−11
    [InlineData(1.5f, 2)]
    [InlineData(2.5f, 2)]
    [InlineData(55.5f, 56)]                   // x = 0: P = 1, code 0x38
    [InlineData(125.5f, 126)]
    [InlineData(126.0625f, 126)]
    [InlineData(126.5f, 126)]
    [InlineData(126.53f, 126)]                // fp16 rounds it to 126.5 (ulp 2^−4), a tie, to the even 126
    [InlineData(126.55f, 127)]                // outside the kernel's range: 0x7F, the E4M3 NaN
    [InlineData(127.5f, 128)]                 // outside the kernel's range: 0x80, E4M3 −0
    [InlineData(65504f, 0)]                   // 65504 + 1536 overflows fp16
    [InlineData(63968f, 0xFF)]                // 63968 + 1536 = 65504 = 0x7BFF: the largest finite sum
    public void HandPickedCodes(float z, int code) => Assert.Equal(code, LogLinearCodes.Code(z));

    /// <summary>
    /// The kernel's two instructions in exact integer arithmetic: h = fp16 round-to-nearest-even of max(z, +0) (∞ past
    /// the largest finite fp16), s = fp16 rne of h + 1536, the low byte of s's fp16 bits (NaN: 0xFF; ∞: 0x7C00, low byte 0).
    /// </summary>
    internal static int ReferenceCode(float z)
    {
        if (float.IsNaN(z)) return 0xFF;
        if (!(z > 0)) return Low(1536, 0);
        if (float.IsPositiveInfinity(z)) return 0;
        var (sig, exp) = Exact(z);
        var (k, q) = RoundToHalf(sig, exp);
        if (Overflows(k, q)) return 0;
        // h + 1536 = k·2^q + 3·2^9, exactly.
        int low = Math.Min(q, 9);
        var sum = (k << (q - low)) + (new BigInteger(3) << (9 - low));
        var (k2, q2) = RoundToHalf(sum, low);
        return Overflows(k2, q2) ? 0 : Low(k2, q2);
    }

    /// <summary>The low byte of the fp16 bits of the normal k·2^q: its fraction field k·2^(q − E + 10) − 1024.</summary>
    private static int Low(BigInteger k, int q)
    {
        int e = (int)k.GetBitLength() - 1 + q;
        var scaled = q - (e - 10) >= 0 ? k << (q - (e - 10)) : k >> (e - 10 - q); // exact: k·2^q is on the fp16 grid
        return (int)((scaled - 1024) & 0xFF);
    }

    private static bool Overflows(BigInteger k, int q) => (int)k.GetBitLength() - 1 + q >= 16; // ≥ 65536: fp16 ∞

    /// <summary>A positive finite float as sig·2^exp.</summary>
    internal static (BigInteger Sig, int Exp) Exact(float z)
    {
        uint bits = BitConverter.SingleToUInt32Bits(z);
        int field = (int)(bits >> 23 & 0xFF);
        uint fraction = bits & 0x7FFFFF;
        return field == 0 ? (fraction, -149) : (fraction | 0x800000u, field - 150);
    }

    /// <summary>sig·2^exp (&gt; 0) rounded to fp16's grid (11 significant bits, quantum ≥ 2^−24), ties to even, as k·2^q.</summary>
    internal static (BigInteger K, int Q) RoundToHalf(BigInteger sig, int exp)
    {
        int e = (int)sig.GetBitLength() - 1 + exp;
        int q = Math.Max(e, -14) - 10;
        return (RoundTo(sig, exp, q), q);
    }

    /// <summary>sig·2^exp / 2^q rounded to an integer, ties to even.</summary>
    internal static BigInteger RoundTo(BigInteger sig, int exp, int q)
    {
        int shift = q - exp;
        if (shift <= 0) return sig << -shift;
        var unit = BigInteger.One << shift;
        var k = BigInteger.DivRem(sig, unit, out var rem);
        var twice = rem * 2;
        if (twice > unit || (twice == unit && !k.IsEven)) k++;
        return k;
    }
}
