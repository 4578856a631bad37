using FsCheck.Xunit;
using Sage.Emulation.Preprocessing;
using Sage.Numerics;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// The vectorised QK quantisation equals its scalar definition (scale = max|x| ⊘ 127 or 7 per group; q =
/// cvt.rni.sat(x ⊘ scale); zero scale → 0), over magnitudes from 2^−40 to 2^40, zero groups, ties at .5 and every
/// grouping shape the kernel uses.
/// </summary>
public class QkQuantizationVectorTests
{
    [Property(MaxTest = 200)]
    public void EqualsTheScalarDefinition(int seed)
    {
        var rnd = new Random(seed);
        int d = rnd.Next(2) == 0 ? 64 : 128, rows = 128;
        var format = rnd.Next(3) == 0 ? QkFormat.Int4 : QkFormat.Int8;
        int groups = new[] { 1, 2, 4, 8, 32 }[rnd.Next(5)];
        var values = new float[rows * d];
        double magnitude = Math.Pow(2, rnd.Next(-40, 40));
        for (int i = 0; i < values.Length; i++)
            values[i] = rnd.Next(10) == 0 ? (float)(Math.Round(rnd.NextDouble() * 254 - 127) + 0.5) // ties
                : (float)((rnd.NextDouble() - 0.5) * magnitude);
        int zeroGroup = rnd.Next(groups);
        Func<int, int> groupOf = r => r % groups;
        for (int r = 0; r < rows; r++) if (groupOf(r) == zeroGroup && rnd.Next(2) == 0) Array.Clear(values, r * d, d);
        if (rnd.Next(3) == 0) for (int r = 0; r < rows; r++) if (groupOf(r) == zeroGroup) Array.Clear(values, r * d, d);

        var scales = new float[groups];
        var quantized = new sbyte[rows * d];
        QkQuantization.Quantize(format, values, rows, d, groupOf, scales, quantized);

        var expectedScales = new float[groups];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < d; c++) expectedScales[groupOf(r)] = MathF.Max(expectedScales[groupOf(r)], MathF.Abs(values[r * d + c]));
        float qmax = format == QkFormat.Int4 ? 7f : 127f;
        for (int g = 0; g < groups; g++) expectedScales[g] /= qmax;
        Assert.Equal(expectedScales, scales);
        for (int r = 0; r < rows; r++)
        for (int c = 0; c < d; c++)
        {
            float scale = expectedScales[groupOf(r)];
            float x = values[r * d + c];
            sbyte expected = scale == 0f ? (sbyte)0
                : format == QkFormat.Int8 ? Ptx.CvtRniSatS8(x / scale) : Math.Max((sbyte)-7, Ptx.CvtRniSatS4(x / scale));
            Assert.True(expected == quantized[r * d + c], $"seed {seed} row {r} channel {c}: {x:R} / {scale:R}: expected {expected}, got {quantized[r * d + c]}");
        }
    }
}
