using Sage.Numerics;
using Xunit;

namespace Sage.Property.Tests.Numerics;

/// <summary>
/// Exhaustive and large random sweeps of the float32 → FP8 conversions against the independent oracle.
/// Each binade sweep covers all 2^23 float32 values of [2^e, 2^(e+1)); the sign flips every 64 inputs, so both
/// signs meet every rounding pattern across the binade (sign symmetry itself is a property test).
/// </summary>
public class Fp8ExhaustiveTests
{
    [Fact]
    public void EveryFp16ValueConvertsLikeTheOracle() =>
        AssertNone(Fp8Sweep.Check(1 << 16, i => Ptx.HalfToSingle((ushort)i)));

    // Binades chosen to cover every regime: underflow to zero and the subnormal targets of both formats
    // (E4M3 subnormals lie below 2^-6, E5M2 below 2^-14), the move into the first normal binade, an ordinary
    // binade, and the top binade with the saturation / overflow edge (448..480 for E4M3, 57344..65536 for E5M2).
    [Theory]
    [InlineData(-10)] [InlineData(-9)] [InlineData(-8)] [InlineData(-7)] [InlineData(-6)]
    [InlineData(-17)] [InlineData(-16)] [InlineData(-15)] [InlineData(-14)]
    [InlineData(0)]
    [InlineData(8)] [InlineData(15)]
    public void EveryFloatOfABinadeConvertsLikeTheOracle(int exponent)
    {
        uint first = (uint)(exponent + 127) << 23;
        AssertNone(Fp8Sweep.Check(1L << 23, i =>
            BitConverter.UInt32BitsToSingle((first + (uint)i) | ((uint)(i >> 6) & 1u) << 31)));
    }

    /// <summary>Every float32 subnormal with its top 16 fraction bits varied (all of them would be 2^23).</summary>
    [Fact]
    public void Float32SubnormalsUnderflowToSignedZero() =>
        AssertNone(Fp8Sweep.Check(1 << 17, i => BitConverter.UInt32BitsToSingle(((uint)(i >> 1) << 7) | 0x55u | ((uint)(i & 1) << 31))));

    [Fact]
    public void TenMillionRandomFloatsConvertLikeTheOracle() =>
        AssertNone(Fp8Sweep.Check(10_000_000, RandomInput));

    /// <summary>
    /// Deterministic pseudo-random float32 for index i: a quarter uniform over all bit patterns (NaN, inf,
    /// huge, tiny), the rest with exponents spread over the FP8 range 2^-20 .. 2^20 and random fraction bits.
    /// </summary>
    internal static float RandomInput(long i)
    {
        ulong h = SplitMix64((ulong)i);
        uint bits = (uint)h;
        if ((h >> 32 & 3) != 0)
        {
            uint exponent = (uint)(127 - 20 + (int)((h >> 34) % 41));
            bits = (bits & 0x807F_FFFFu) | (exponent << 23);
        }
        return BitConverter.UInt32BitsToSingle(bits);
    }

    internal static ulong SplitMix64(ulong x)
    {
        x += 0x9E37_79B9_7F4A_7C15ul;
        x = (x ^ (x >> 30)) * 0xBF58_476D_1CE4_E5B9ul;
        x = (x ^ (x >> 27)) * 0x94D0_49BB_1331_11EBul;
        return x ^ (x >> 31);
    }

    internal static void AssertNone(IReadOnlyList<string> failures) =>
        Assert.True(failures.Count == 0, "Mismatches:\n" + string.Join("\n", failures));
}
