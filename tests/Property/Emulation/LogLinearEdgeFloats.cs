namespace Sage.Property.Tests.Emulation;

/// <summary>
/// Inputs z for the LogLinear code tests: every special value, the floats around each k + 0.5 and k (where rne to an
/// integer turns), around every fp16 rounding boundary (the midpoints between neighbouring fp16 values), the fp16 and
/// fp32 subnormal ranges, the top of the codes (125-128), the fp16 overflow threshold, negatives, and random floats.
/// </summary>
internal static class LogLinearEdgeFloats
{
    private static readonly Lazy<float[]> s_all = new(() => Build(seed: 1));

    /// <summary>The inputs (about 3.5 million), built once per test run.</summary>
    public static float[] All => s_all.Value;

    private static float[] Build(int seed)
    {
        var list = new List<float>
        {
            float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, float.Epsilon, -float.Epsilon,
            float.MaxValue, float.MinValue, 65504f, 65519.996f, 65520f, 65536f, 1e10f,
            BitConverter.UInt32BitsToSingle(0x7FC00000), BitConverter.UInt32BitsToSingle(0x7F800001), // quiet, signalling
            BitConverter.UInt32BitsToSingle(0xFFFFFFFF), BitConverter.UInt32BitsToSingle(0xFFC00000), // negative NaNs
            BitConverter.UInt32BitsToSingle(0x007FFFFF), BitConverter.UInt32BitsToSingle(0x00800000), // fp32 subnormal, normal
        };
        foreach (int e in new[] { -149, -126, -25, -24, -15, -14, -13, -2, -1, 0, 1, 9, 10, 11, 15, 16 })
        {
            float p = MathF.ScaleB(1f, e);
            list.AddRange([p, 1.5f * p, 3f * p]);
        }
        // rne to an integer: k and k + 0.5 for every code and beyond the fp16 binades where the add of 1536 changes ulp.
        for (int k = 0; k <= 600; k++)
        {
            list.Add(k);
            list.Add(k + 0.5f);
        }
        list.AddRange([2047.5f, 2048f, 2049f, 4095f, 32767f, 63968f, 63984f, 64000f]);
        // fp16 rounding boundaries: the midpoint between each positive finite fp16 and the next (exact in fp32).
        for (ushort bits = 0; bits < 0x7C00; bits++)
        {
            double a = (double)BitConverter.UInt16BitsToHalf(bits), b = (double)BitConverter.UInt16BitsToHalf((ushort)(bits + 1));
            if (double.IsInfinity(b)) b = 65536;
            list.Add((float)((a + b) / 2));
            list.Add((float)a);
        }
        var rnd = new Random(seed);
        for (int i = 0; i < 100_000; i++)
        {
            list.Add(BitConverter.UInt32BitsToSingle((uint)rnd.NextInt64(0, 1L << 32)));
            list.Add((float)(rnd.NextDouble() * 210 - 10));
        }
        // Neighbours: a few ulps either side of everything so far, and the negatives.
        var all = new List<float>(list.Count * 8);
        foreach (float x in list)
        {
            float lo = x, hi = x;
            all.Add(x);
            for (int s = 0; s < 3; s++)
            {
                lo = MathF.BitDecrement(lo);
                hi = MathF.BitIncrement(hi);
                all.Add(lo);
                all.Add(hi);
            }
            all.Add(-x);
        }
        // Every float in [125.75, 126.75] (the top codes; the kernel's z stays below ≈ 126.1).
        for (uint u = BitConverter.SingleToUInt32Bits(125.75f); u <= BitConverter.SingleToUInt32Bits(126.75f); u++)
            all.Add(BitConverter.UInt32BitsToSingle(u));
        return [.. all];
    }
}
