using FsCheck.Xunit;
using Sage.Emulation.Softmax;
using Sage.Emulation.SpecialFunctions;
using System.Runtime.Intrinsics;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>The vectorised exp2 of the online softmax equals <see cref="KernelExp2.Evaluate"/> bit for bit.</summary>
public class KernelExp2VectorTests
{
    private static void AssertLanesEqual(float[] x)
    {
        var result = new float[x.Length];
        KernelExp2Vector.ExponentiateShifted(x, 0f, result);
        for (int i = 0; i < x.Length; i++)
        {
            float expected = KernelExp2.Evaluate(x[i] - 0f);
            Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(result[i])
                        || (float.IsNaN(expected) && float.IsNaN(result[i])), $"x = {x[i]:R}: scalar {expected:R}, vector {result[i]:R}");
        }
    }

    [Property(MaxTest = 200)]
    public void RandomBitPatternsAgree(int seed)
    {
        var rnd = new Random(seed);
        var x = new float[4096];
        for (int i = 0; i < x.Length; i++)
            x[i] = rnd.Next(3) switch
            {
                0 => BitConverter.Int32BitsToSingle(rnd.Next() ^ (rnd.Next(2) << 31)),
                1 => (float)(rnd.NextDouble() * 400 - 260), // the whole clamped range and beyond
                _ => MathF.Round((float)(rnd.NextDouble() * 300 - 220)) + (rnd.Next(2) == 0 ? 0.5f : -0.5f), // ties
            };
        AssertLanesEqual(x);
    }

    [Fact]
    public void BoundariesAgree()
    {
        float[] specials = [0f, -0f, 1f, -1f, 0.5f, -0.5f, 1.5f, -1.5f, 127.5f, 128f, 127.99999f, -126f, -126.5f, -127f, -149f, -150f,
            -199.5f, -200f, -200.5f, -1e30f, 1e30f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, float.Epsilon, -float.Epsilon,
            8.807355f, -8.807355f];
        var x = new float[((specials.Length + 15) / 16) * 16];
        specials.CopyTo(x, 0);
        AssertLanesEqual(x);
        Assert.True(Vector512.IsHardwareAccelerated || x.Length > 0);
    }
}
