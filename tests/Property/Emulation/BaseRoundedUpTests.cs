using FsCheck.Xunit;
using Sage.Emulation;
using Sage.Emulation.Softmax;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// <see cref="OnlineSoftmax.BaseRoundedUp"/>, the LogLinear base m ⊖↑ log2 448 (docs/kernel-spec.md §7 step 4', the
/// kernel's sub.rp.f32): the smallest float at or above the exact difference. For 2^−29 ≤ |m| &lt; 2^29 the exact
/// difference is a double (the two floats' bits span at most 53 places); from 2^29 on the float ulp of m (≥ 64) exceeds
/// log2 448, so rounding the difference up gives m itself; below 2^−29 m only decides on which side of −log2 448 the
/// difference lies (above it for m &gt; 0: the next float up; at or below it: −log2 448 itself).
/// </summary>
public class BaseRoundedUpTests
{
    private static readonly double Log2Of448 = KernelConstants.Log2Of448;

    private static void AssertRoundedUp(float m)
    {
        float r = OnlineSoftmax.BaseRoundedUp(m);
        if (Math.Abs(m) >= 536870912f /* 2^29 */)
        {
            Assert.True(BitConverter.SingleToUInt32Bits(r) == BitConverter.SingleToUInt32Bits(m), $"m = {m:R}: {r:R}, expected m");
            return;
        }
        if (Math.Abs(m) < 1.8626451e-9f) // 2^−29
        {
            float minus = -KernelConstants.Log2Of448, expected = m > 0 ? MathF.BitIncrement(minus) : minus;
            Assert.True(BitConverter.SingleToUInt32Bits(r) == BitConverter.SingleToUInt32Bits(expected), $"m = {m:R}: {r:R}, expected {expected:R}");
            return;
        }
        double exact = (double)m - Log2Of448;
        Assert.True(r >= exact && MathF.BitDecrement(r) < exact, $"m = {m:R}: {r:R} is not the smallest float ≥ {exact:R}");
    }

    [Property(MaxTest = 20000)]
    public void IsTheSmallestFloatAtOrAboveTheDifference(int bits) => AssertRoundedUp(Finite(BitConverter.Int32BitsToSingle(bits)));

    [Theory]
    [InlineData(0f)]
    [InlineData(8.807355f)]
    [InlineData(1f)]
    [InlineData(-1f)]
    [InlineData(16777216f)]
    [InlineData(4214870f)]    // the row maximum of the emulator test whose Exp2 code was 126 and LogLinear's 124
    [InlineData(-4214870f)]
    [InlineData(536870912f)]  // 2^29
    [InlineData(536870880f)]  // just below
    [InlineData(3.4028235e38f)]
    [InlineData(-3.4028235e38f)]
    [InlineData(1e-30f)]
    [InlineData(-1e-30f)]
    [InlineData(1.8626451e-9f)]
    public void EdgeValues(float m) => AssertRoundedUp(m);

    [Fact]
    public void NeverBelowTheRoundToNearestDifferenceAndAtMostOneUlpAbove()
    {
        var rnd = new Random(23);
        for (int i = 0; i < 100000; i++)
        {
            float m = (float)((rnd.NextDouble() * 2 - 1) * Math.Pow(2, rnd.Next(-10, 40)));
            float nearest = m - KernelConstants.Log2Of448, up = OnlineSoftmax.BaseRoundedUp(m);
            Assert.True(up == nearest || up == MathF.BitIncrement(nearest), $"m = {m:R}: up {up:R}, nearest {nearest:R}");
        }
    }

    [Fact]
    public void InfinityStaysInfinity() => Assert.Equal(float.PositiveInfinity, OnlineSoftmax.BaseRoundedUp(float.PositiveInfinity));

    private static float Finite(float x) => float.IsFinite(x) ? x : 1f;
}
