using FsCheck.Xunit;
using Sage.Numerics;
using Xunit;

namespace Sage.Property.Tests.Numerics;

/// <summary><see cref="Ptx.TruncateFraction"/> against a double oracle: floor(|x| / spacing) · spacing with the sign restored.</summary>
public class TruncateFractionTests
{
    private static float Oracle(float x, int fractionBits)
    {
        if (!float.IsFinite(x)) return x;
        double magnitude = Math.Abs((double)x);
        if (magnitude == 0) return x;
        int exponent = Math.Max(Math.ILogB(magnitude), -126); // float32 subnormals share the spacing of the lowest binade
        double spacing = Math.ScaleB(1.0, exponent - fractionBits);
        double truncated = Math.Floor(magnitude / spacing) * spacing;
        return (float)(float.IsNegative(x) ? -truncated : truncated);
    }

    public static TheoryData<float, int, float> Edges => new()
    {
        { 1f + MathF.ScaleB(1f, -13), 13, 1f + MathF.ScaleB(1f, -13) }, { 1f + MathF.ScaleB(1f, -14), 13, 1f },
        { MathF.BitDecrement(2f), 13, 2f - MathF.ScaleB(1f, -13) }, { -MathF.BitDecrement(2f), 13, -(2f - MathF.ScaleB(1f, -13)) },
        { -MathF.ScaleB(1f, -140), 13, -0f }, { MathF.ScaleB(1f, -139), 13, MathF.ScaleB(1f, -139) }, { MathF.ScaleB(5f, -141), 13, MathF.ScaleB(1f, -139) },
        { 1.75f, 0, 1f }, { 1.75f, 23, 1.75f }, { float.MaxValue, 13, MathF.ScaleB(2f - MathF.ScaleB(1f, -13), 127) },
        { float.PositiveInfinity, 13, float.PositiveInfinity }, { float.NegativeInfinity, 13, float.NegativeInfinity },
    };

    [Theory, MemberData(nameof(Edges))]
    public void EdgesTruncateTowardZero(float x, int fractionBits, float expected)
    {
        Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(Ptx.TruncateFraction(x, fractionBits)));
        Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(Oracle(x, fractionBits)));
    }

    [Fact]
    public void NaNPassesThroughUnchanged()
    {
        // A signalling NaN whose payload sits only in the cut bits must not become infinity. (Its exact bits are
        // not asserted: moving an sNaN through float registers may quieten it.)
        Assert.True(float.IsNaN(Ptx.TruncateFraction(BitConverter.UInt32BitsToSingle(0x7F80_0001u), 13)));
        Assert.Equal(0xFFC0_0001u, BitConverter.SingleToUInt32Bits(Ptx.TruncateFraction(BitConverter.UInt32BitsToSingle(0xFFC0_0001u), 13)));
        Assert.True(float.IsNaN(Ptx.TruncateFraction(float.NaN, 0)));
    }

    [Fact]
    public void RejectsFractionBitsOutsideFloat32()
    {
        Assert.Throws<ArgumentOutOfRangeException>("fractionBits", () => Ptx.TruncateFraction(1f, -1));
        Assert.Throws<ArgumentOutOfRangeException>("fractionBits", () => Ptx.TruncateFraction(1f, 24));
    }

    [Property(MaxTest = 5000)]
    public bool MatchesTheOracle(float x, byte bits)
    {
        int fractionBits = bits % 24;
        return BitConverter.SingleToUInt32Bits(Ptx.TruncateFraction(x, fractionBits)) == BitConverter.SingleToUInt32Bits(Oracle(x, fractionBits))
            || float.IsNaN(x);
    }

    [Property(MaxTest = 2000)]
    public bool IsIdempotentAndNeverGrowsTheMagnitude(float x)
    {
        if (!float.IsFinite(x)) return true;
        float t = Ptx.TruncateFraction(x, 13);
        return Ptx.TruncateFraction(t, 13) == t && MathF.Abs(t) <= MathF.Abs(x) && (t == 0 || MathF.Sign(t) == MathF.Sign(x));
    }

    [Fact]
    public void AllFractionsOfOneBinadeMatchTheOracle()
    {
        for (uint f = 0; f < (1u << 23); f += 97)
        {
            float x = BitConverter.UInt32BitsToSingle(0x3F80_0000u | f);
            Assert.Equal(Oracle(x, 13), Ptx.TruncateFraction(x, 13));
        }
    }
}
