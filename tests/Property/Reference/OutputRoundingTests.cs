using System.Numerics;
using Sage.Numerics;
using Sage.Reference;
using Xunit;

namespace Sage.Property.Tests.Reference;

/// <summary>
/// ReferenceResult.ToTensor must round each float64 exactly once, to nearest with ties to even. Checked against an
/// independent oracle: a nearest-value search over the table of every finite value of the format.
/// </summary>
public class OutputRoundingTests
{
    [Theory]
    [InlineData(ElementType.Float16)]
    [InlineData(ElementType.BFloat16)]
    public void MatchesANearestValueSearchOverTheWholeCodeTable(ElementType type)
    {
        var table = new CodeTable(type);
        var values = Probes(table, new Random(type == ElementType.Float16 ? 1 : 2)).ToArray();
        var rounded = new ReferenceResult(values, [values.Length], TensorLayout.HND, []).ToTensor(type).Bits16;

        for (int i = 0; i < values.Length; i++)
            if (rounded[i] != table.Nearest(values[i]))
                Assert.Fail($"{type}: {values[i]:R} rounded to 0x{rounded[i]:X4}; nearest-even is 0x{table.Nearest(values[i]):X4}");
    }

    [Fact]
    public void Float32OutputIsTheCorrectlyRoundedFloat()
    {
        double[] values = [1 + Math.ScaleB(1, -24) + Math.ScaleB(1, -50), -0.1, 3e38, 4e38, 1e-46, double.NegativeInfinity];
        var rounded = new ReferenceResult(values, [values.Length], TensorLayout.HND, []).ToTensor(ElementType.Float32).ToSingleArray();
        Assert.Equal([1 + MathF.Pow(2, -23), -0.1f, 3e38f, float.PositiveInfinity, 0f, float.NegativeInfinity], rounded);
    }

    [Fact]
    public void NaNStaysNaN()
    {
        var result = new ReferenceResult([double.NaN, -double.NaN], [2], TensorLayout.HND, []);
        Assert.All(result.ToTensor(ElementType.Float16).ToSingleArray(), x => Assert.True(float.IsNaN(x)));
        Assert.All(result.ToTensor(ElementType.BFloat16).ToSingleArray(), x => Assert.True(float.IsNaN(x)));
    }

    /// <summary>Random values across the whole range, every midpoint between neighbours, and values a hair off it.</summary>
    private static IEnumerable<double> Probes(CodeTable table, Random random)
    {
        for (int i = 0; i + 1 < table.Positive.Length; i++)
        {
            double lo = table.Positive[i], hi = table.Positive[i + 1], mid = lo + (hi - lo) / 2;
            foreach (double x in new[] { lo, mid, Math.BitIncrement(mid), Math.BitDecrement(mid), mid + (hi - lo) * 1e-9, mid - (hi - lo) * 1e-9 })
            {
                yield return x;
                yield return -x;
            }
        }
        for (int i = 0; i < 100_000; i++)
            yield return (random.NextDouble() * 2 - 1) * Math.ScaleB(1.0, random.Next(-table.MaxExponent - 12, table.MaxExponent + 3)); // subnormals to overflow
        yield return 0.0;
        yield return -0.0;
        yield return double.PositiveInfinity;
        yield return double.NegativeInfinity;
        yield return double.MaxValue;
    }

    /// <summary>All finite non-negative values of a 16-bit format, ascending, with their bit patterns.</summary>
    private sealed class CodeTable
    {
        public CodeTable(ElementType type)
        {
            Func<ushort, double> decode = type == ElementType.Float16
                ? bits => (double)BitConverter.UInt16BitsToHalf(bits)
                : bits => BFloat16.FromBits(bits).ToSingle();
            ushort infinity = type == ElementType.Float16 ? (ushort)0x7C00 : (ushort)0x7F80;
            Bits = Enumerable.Range(0, infinity).Select(b => (ushort)b).ToArray(); // positive codes below +∞ ascend with value
            Positive = Bits.Select(decode).ToArray();
            // Past the largest finite value, round-to-nearest-even treats +∞ as the next value, one ulp further on.
            Overflow = Positive[^1] + (Positive[^1] - Positive[^2]);
            Infinity = infinity;
            MaxExponent = (int)Math.Log2(Positive[^1]);
        }

        public ushort[] Bits { get; }
        public double[] Positive { get; }
        public double Overflow { get; }
        public ushort Infinity { get; }
        public int MaxExponent { get; }

        public ushort Nearest(double value)
        {
            ushort sign = double.IsNegative(value) ? (ushort)0x8000 : (ushort)0;
            double x = Math.Abs(value);
            if (x >= Overflow) return (ushort)(sign | Infinity);
            int index = Array.BinarySearch(Positive, x);
            if (index >= 0) return (ushort)(sign | Bits[index]);
            int hi = ~index, lo = hi - 1; // Positive[lo] < x < Positive[hi] (or the virtual overflow value)
            double below = x - Positive[lo], above = (hi < Positive.Length ? Positive[hi] : Overflow) - x; // exact (Sterbenz)
            ushort hiBits = hi < Bits.Length ? Bits[hi] : Infinity;
            ushort chosen = below < above ? Bits[lo] : above < below ? hiBits : (Bits[lo] & 1) == 0 ? Bits[lo] : hiBits;
            return (ushort)(sign | chosen);
        }
    }
}
