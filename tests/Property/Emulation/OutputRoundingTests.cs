using FsCheck.Xunit;
using Sage.Emulation.Epilogue;
using Sage.Numerics;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// The span output rounding equals <see cref="Ptx.CvtRnF16"/> / <see cref="Ptx.CvtRnBf16"/> element by element: random
/// bit patterns of every class, and the FP16 boundaries (ties at the subnormal quantum, the overflow threshold 65520,
/// the smallest normal, NaN payloads).
/// </summary>
public class OutputRoundingTests
{
    [Property(MaxTest = 200)]
    public void EqualsTheScalarConversion(int seed)
    {
        var rnd = new Random(seed);
        var values = new float[rnd.Next(1, 300)];
        for (int i = 0; i < values.Length; i++)
            values[i] = rnd.Next(4) switch
            {
                0 => BitConverter.Int32BitsToSingle(rnd.Next(int.MinValue, int.MaxValue)),
                1 => (float)((rnd.NextDouble() - 0.5) * Math.Pow(2, rnd.Next(-30, 18))),
                2 => Boundary(rnd),
                _ => (float)(Half)(float)((rnd.NextDouble() - 0.5) * 100) + (rnd.Next(2) == 0 ? 0 : BitConverter.Int32BitsToSingle(0x3380_0000)),
            };
        foreach (var type in new[] { ElementType.Float16, ElementType.BFloat16 })
        {
            var bits = new ushort[values.Length];
            OutputRounding.Round(values, type, bits);
            for (int i = 0; i < values.Length; i++)
            {
                ushort expected = type == ElementType.Float16 ? Ptx.CvtRnF16(values[i]) : Ptx.CvtRnBf16(values[i]);
                Assert.True(expected == bits[i], $"{type} of {values[i]:R} (0x{BitConverter.SingleToUInt32Bits(values[i]):X8}): scalar 0x{expected:X4}, span 0x{bits[i]:X4}");
            }
        }
    }

    private static float Boundary(Random rnd)
    {
        float x = rnd.Next(8) switch
        {
            0 => 65520f,                                   // rounds to inf
            1 => BitConverter.Int32BitsToSingle(0x477F_EFFF), // just below: 65504
            2 => MathF.Pow(2, -25),                         // half the smallest subnormal: tie to 0
            3 => MathF.Pow(2, -25) * 3,                     // tie between 1 and 2 quanta: 2
            4 => MathF.Pow(2, -14),                         // smallest normal
            5 => float.NaN,
            6 => BitConverter.Int32BitsToSingle(0x7FC0_1234),
            _ => float.PositiveInfinity,
        };
        return rnd.Next(2) == 0 ? x : -x;
    }
}
