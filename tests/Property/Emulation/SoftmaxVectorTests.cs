using FsCheck.Xunit;
using Sage.Emulation.Mainloop;
using Sage.Emulation.Softmax;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// The vectorised softmax pieces equal their scalar definitions bit for bit: the lane partial sums (order-sensitive:
/// magnitudes spread over 2^±40 so that any reordering shows), the tile maximum (−∞, ±0, NaN) and the score
/// dequantisation (with and without ΔS, any visible count).
/// </summary>
public class SoftmaxVectorTests
{
    [Property(MaxTest = 200)]
    public void LanePartialSumsEqualTheRegisterOrder(int seed)
    {
        var rnd = new Random(seed);
        var p = new float[128];
        for (int i = 0; i < p.Length; i++) p[i] = (float)(rnd.NextDouble() * Math.Pow(2, rnd.Next(-40, 40)));
        var partial = new float[4];
        OnlineSoftmax.LanePartialSums(p, partial);
        for (int t = 0; t < 4; t++)
        {
            float s = 0f;
            for (int i = 0; i < p.Length; i += 8) { s += p[i + 2 * t]; s += p[i + 2 * t + 1]; }
            Assert.Equal(BitConverter.SingleToUInt32Bits(s), BitConverter.SingleToUInt32Bits(partial[t]));
        }
    }

    [Property(MaxTest = 200)]
    public void TileMaxEqualsTheSequentialFold(int seed)
    {
        var rnd = new Random(seed);
        var s = new float[128];
        for (int i = 0; i < s.Length; i++)
            s[i] = rnd.Next(8) switch
            {
                0 => float.NegativeInfinity,
                1 => 0f,
                2 => -0f,
                3 => rnd.Next(20) == 0 ? float.NaN : -1f,
                _ => (float)((rnd.NextDouble() - 0.5) * 100),
            };
        if (rnd.Next(3) == 0) Array.Fill(s, rnd.Next(2) == 0 ? -0f : float.NegativeInfinity);
        float expected = float.NegativeInfinity;
        foreach (float x in s) expected = OnlineSoftmax.MaxF32(expected, x);
        Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(OnlineSoftmax.TileMax(s)));
    }

    [Property(MaxTest = 200)]
    public void DequantizationEqualsTheScalarFormula(int seed)
    {
        var rnd = new Random(seed);
        var acc = new int[128];
        var keyScales = new float[128];
        var deltaS = new float[128];
        for (int j = 0; j < 128; j++)
        {
            acc[j] = rnd.Next(-(1 << 21), 1 << 21);
            keyScales[j] = (float)(rnd.NextDouble() * Math.Pow(2, rnd.Next(-30, 10)));
            deltaS[j] = (float)((rnd.NextDouble() - 0.5) * Math.Pow(2, rnd.Next(-10, 10)));
        }
        float queryScale = (float)(rnd.NextDouble() * Math.Pow(2, rnd.Next(-20, 5)));
        int visible = rnd.Next(-5, 140);
        bool smoothQ = rnd.Next(2) == 0;
        var scores = new float[128];
        ScoreDequantization.Dequantize(acc, queryScale, keyScales, smoothQ ? deltaS : ReadOnlySpan<float>.Empty, visible, scores);
        for (int j = 0; j < 128; j++)
        {
            float expected = j >= Math.Clamp(visible, 0, 128) ? float.NegativeInfinity
                : smoothQ ? MathF.FusedMultiplyAdd(acc[j], queryScale * keyScales[j], deltaS[j])
                : acc[j] * (queryScale * keyScales[j]);
            Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(scores[j]));
        }
    }
}
