using System.IO.Compression;
using FsCheck.Xunit;
using Sage.Emulation.SpecialFunctions;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// The documented properties of <see cref="MufuExp2"/> (the model of the H100's ex2.approx.ftz.f32), and the model
/// against the significand table recorded on the H100 (tests/Property/Emulation/Data). The every-input device
/// check is tests/Gpu/TensorCores/MufuExp2GpuTests.cs.
/// </summary>
public class MufuExp2Tests
{
    private const string TableFile = "h100-mufu-ex2-table-2026-11-25.bin.gz";

    private static uint Bits(float x) => BitConverter.SingleToUInt32Bits(x);

    /// <summary>
    /// The H100's results for x = 1 + k·2^−23 (divided by 2), k ∈ [0, 2^23): float bits, stored as byte differences
    /// from 0x3F800000 (first) and from the previous entry.
    /// </summary>
    private static readonly Lazy<uint[]> s_deviceTable = new(() =>
    {
        using var gz = new GZipStream(File.OpenRead(DataPath(TableFile)), CompressionMode.Decompress);
        var deltas = new byte[1 << 23];
        gz.ReadExactly(deltas);
        var table = new uint[deltas.Length];
        uint previous = 0x3F800000;
        for (int k = 0; k < table.Length; k++) table[k] = previous = previous + (uint)(sbyte)deltas[k];
        return table;
    });

    private static string DataPath(string fileName)
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "tests", "Property", "Emulation", "Data", fileName);
                if (File.Exists(candidate)) return candidate;
            }
        throw new FileNotFoundException($"recorded data '{fileName}' not found above {AppContext.BaseDirectory} or {Directory.GetCurrentDirectory()}");
    }

    [Fact]
    public void The_interpolator_reproduces_every_significand_recorded_on_the_H100()
    {
        uint[] table = s_deviceTable.Value;
        int mismatches = 0;
        string first = "";
        for (int k = 0; k < table.Length; k++)
        {
            uint model = MufuExp2.Significand(k);
            uint device = table[k] & 0x7FFFFF | 0x800000;
            if (model == device && table[k] >> 23 == 127) continue;
            if (mismatches++ == 0) first = $"k={k}: device 0x{table[k]:X8}, model significand 0x{model:X6}";
        }
        Assert.True(mismatches == 0, $"{mismatches} of 2^23 entries differ, first {first}");
    }

    [Fact]
    public void Every_input_in_one_to_two_gives_the_recorded_result()
    {
        uint[] table = s_deviceTable.Value;
        for (uint k = 0; k < table.Length; k++)
        {
            uint got = MufuExp2.EvaluateBits(0x3F800000 + k);
            if (got != table[k] + (1u << 23)) Assert.Fail($"x=0x{0x3F800000 + k:X8}: model 0x{got:X8}, device 0x{table[k] + (1u << 23):X8}");
        }
    }

    /// <summary>Inputs and outputs printed by the device probe (docs/results/mufu-ex2-2026-11-25/probe-run1.log).</summary>
    [Theory]
    [InlineData(0x00000000u, 0x3F800000u)] // 0
    [InlineData(0x80000000u, 0x3F800000u)] // -0
    [InlineData(0x000116C2u, 0x3F800000u)] // subnormal: flushed
    [InlineData(0x800116C2u, 0x3F800000u)]
    [InlineData(0x3F800000u, 0x40000000u)] // 1
    [InlineData(0xBF800000u, 0x3F000000u)] // -1: exact
    [InlineData(0x3F000000u, 0x3FB504F3u)] // 0.5
    [InlineData(0xBF000000u, 0x3F3504F2u)] // -0.5: one step low (ones' complement fraction)
    [InlineData(0x33D6BF95u, 0x3F800000u)] // 1e-7: truncated to 0
    [InlineData(0xB3D6BF95u, 0x3F800000u)] // -1e-7: magnitude truncated to 0, exact 2^0
    [InlineData(0x42FFFAE1u, 0x7F7E3B37u)] // 127.99
    [InlineData(0x42FFFFF3u, 0x7F7FFB7Fu)]
    [InlineData(0x43000000u, 0x7F800000u)] // 128
    [InlineData(0xC2FC0000u, 0x00800000u)] // -126
    [InlineData(0xC2FD0000u, 0x00000000u)] // -126.5: flushed
    [InlineData(0xC2FE0000u, 0x00000000u)]
    [InlineData(0xC3160000u, 0x00000000u)]
    [InlineData(0x7F800000u, 0x7F800000u)] // +inf
    [InlineData(0xFF800000u, 0x00000000u)] // -inf
    [InlineData(0x7F800001u, 0x7FFFFFFFu)] // NaNs: canonical
    [InlineData(0x7FC00000u, 0x7FFFFFFFu)]
    [InlineData(0xFFC00000u, 0x7FFFFFFFu)]
    [InlineData(0xFF800001u, 0x7FFFFFFFu)]
    [InlineData(0x7FA12345u, 0x7FFFFFFFu)]
    [InlineData(0x3F7FFFFEu, 0x3FFFFFFFu)] // 1 - 2^-23: the last table entry
    [InlineData(0x3F7FFFFFu, 0x3FFFFFFFu)]
    [InlineData(0x3FFFFFFFu, 0x407FFFFFu)]
    public void Recorded_device_samples(uint x, uint expected) =>
        Assert.Equal($"0x{expected:X8}", $"0x{MufuExp2.EvaluateBits(x):X8}");

    [Fact]
    public void Exact_at_integers_flushed_below_minus_126_infinite_from_128()
    {
        for (int n = -300; n <= 300; n++)
        {
            float got = MufuExp2.Evaluate(n);
            float expected = n < -126 ? 0f : n >= 128 ? float.PositiveInfinity : MathF.ScaleB(1f, n);
            Assert.True(Bits(got) == Bits(expected), $"2^{n}: got {got:R}");
        }
    }

    [Fact]
    public void Significands_never_decrease_and_stay_in_one_to_two()
    {
        uint previous = MufuExp2.Significand(0);
        Assert.Equal(1u << 23, previous);
        for (int k = 1; k < 1 << 23; k++)
        {
            uint s = MufuExp2.Significand(k);
            Assert.True(s >= previous && s < 1u << 24, $"k={k}: 0x{s:X} after 0x{previous:X}");
            previous = s;
        }
    }

    /// <summary>Monotone (non-decreasing) over consecutive floats around every integer and binade edge in range.</summary>
    [Fact]
    public void Monotone_across_integers_segments_and_binades()
    {
        var starts = new List<float>();
        for (int n = -130; n <= 130; n++) starts.Add(n);
        for (int e = -30; e <= 7; e++) { starts.Add(MathF.ScaleB(1f, e)); starts.Add(-MathF.ScaleB(1f, e)); }
        for (int j = 0; j < 64; j++) { starts.Add(j / 64f); starts.Add(-j / 64f); starts.Add(-3 + j / 64f); }
        foreach (float start in starts)
        {
            float x = start;
            for (int i = 0; i < 2048; i++) x = MathF.BitDecrement(x);
            float previous = MufuExp2.Evaluate(x);
            for (int i = 0; i < 4096; i++)
            {
                x = MathF.BitIncrement(x);
                float y = MufuExp2.Evaluate(x);
                Assert.True(y >= previous, $"decreases at x={x:R} (0x{Bits(x):X8}): {y:R} after {previous:R}");
                previous = y;
            }
        }
    }

    [Property(MaxTest = 2000)]
    public bool Monotone_on_random_pairs(float a, float b)
    {
        if (float.IsNaN(a) || float.IsNaN(b)) return true;
        (float lo, float hi) = a <= b ? (a, b) : (b, a);
        return MufuExp2.Evaluate(lo) <= MufuExp2.Evaluate(hi);
    }

    private static double UlpError(float x)
    {
        double exact = Math.Pow(2, x);
        double ulp = Math.ScaleB(1.0, Math.ILogB(exact) - 23);
        return Math.Abs(MufuExp2.Evaluate(x) - exact) / ulp;
    }

    /// <summary>
    /// At most 1.40 ulp for x ≥ 0 and 2.06 ulp for x &lt; 0 (measured over every input with a result ≥ 2^−125:
    /// 1.3984 at 0x3F6BFDFF, 2.0550 at 0xBDA01000); checked here on every input of a few binades and both worst cases.
    /// </summary>
    [Fact]
    public void Error_is_within_the_measured_bounds()
    {
        Assert.InRange(UlpError(BitConverter.UInt32BitsToSingle(0x3F6BFDFF)), 1.39, 1.40);
        Assert.InRange(UlpError(BitConverter.UInt32BitsToSingle(0xBDA01000)), 2.05, 2.06);
        foreach (uint binade in new uint[] { 0x3D800000, 0x3F000000, 0x3F800000, 0x42800000, 0xBD800000, 0xBF000000, 0xBF800000, 0xC2800000 })
        {
            double bound = binade >> 31 == 0 ? 1.40 : 2.06, worst = 0;
            for (uint m = 0; m < 1 << 23; m += 3)
            {
                float x = BitConverter.UInt32BitsToSingle(binade + m);
                if (x < -125) continue; // results below 2^-125 are flushed or near the flush
                worst = Math.Max(worst, UlpError(x));
            }
            Assert.True(worst <= bound, $"binade 0x{binade:X8}: {worst:F4} ulp > {bound}");
        }
    }

    [Fact]
    public void Truncated_square_is_at_most_the_true_square_and_loses_at_most_eight_units()
    {
        int worst = 0;
        for (int d = 0; d < 1 << MufuExp2.OffsetBits; d++)
        {
            long floor = (long)d * d >> MufuExp2.SquareDroppedColumns;
            long deficit = floor - MufuExp2.TruncatedSquare(d);
            Assert.True(deficit >= 0, $"d={d}: {MufuExp2.TruncatedSquare(d)} > {floor}");
            worst = Math.Max(worst, (int)deficit);
        }
        Assert.InRange(worst, 1, 8);
    }

    private static void AssertVectorEqualsScalar(float[] x, float @base)
    {
        var y = new float[x.Length];
        MufuExp2.ExponentiateShifted(x, @base, y);
        for (int i = 0; i < x.Length; i++)
        {
            uint expected = MufuExp2.EvaluateBits(Bits(x[i] - @base));
            if (expected != Bits(y[i])) Assert.Fail($"x=0x{Bits(x[i]):X8} base={@base:R}: scalar 0x{expected:X8}, span 0x{Bits(y[i]):X8}");
        }
    }

    [Property(MaxTest = 200)]
    public void Span_path_equals_the_scalar_on_random_inputs(int seed)
    {
        var rnd = new Random(seed);
        var x = new float[259];
        for (int i = 0; i < x.Length; i++)
            x[i] = rnd.Next(3) switch
            {
                0 => BitConverter.Int32BitsToSingle(rnd.Next() ^ (rnd.Next(2) << 31)),
                1 => (float)(rnd.NextDouble() * 300 - 160),
                _ => (float)(rnd.NextDouble() * 2e-6 - 1e-6),
            };
        AssertVectorEqualsScalar(x, rnd.Next(2) == 0 ? 0f : (float)(rnd.NextDouble() * 20 - 10));
    }

    [Fact]
    public void Span_path_equals_the_scalar_on_specials_and_in_place()
    {
        float[] specials = [0f, -0f, 1f, -1f, 0.5f, -0.5f, 127.99999f, 128f, -126f, -126.5f, -127f, -128f, -129f, 1e30f, -1e30f,
            float.PositiveInfinity, float.NegativeInfinity, float.NaN, -float.NaN, float.Epsilon, -float.Epsilon, 1e-38f, -1e-38f,
            BitConverter.UInt32BitsToSingle(0x7FA12345), BitConverter.UInt32BitsToSingle(0x3F7FFFFF), BitConverter.UInt32BitsToSingle(0xBF7FFFFF)];
        AssertVectorEqualsScalar(specials, 0f);
        var inPlace = (float[])specials.Clone();
        MufuExp2.Evaluate(inPlace, inPlace);
        for (int i = 0; i < specials.Length; i++) Assert.Equal(MufuExp2.EvaluateBits(Bits(specials[i])), Bits(inPlace[i]));
    }

    /// <summary>Every 251st bit pattern (17 million inputs, all exponents and signs) through both paths.</summary>
    [Fact]
    public void Span_path_equals_the_scalar_on_a_stride_of_all_inputs() => CompareStride(251);

    /// <summary>All 2^32 inputs through both paths (minutes on two cores; run explicitly).</summary>
    [Fact(Explicit = true)]
    public void Span_path_equals_the_scalar_on_every_input() => CompareStride(1);

    private static void CompareStride(uint stride)
    {
        long mismatches = 0;
        Parallel.For(0, 256, part =>
        {
            const int Batch = 4096;
            var x = new float[Batch];
            var y = new float[Batch];
            ulong start = (ulong)part << 24, end = start + (1UL << 24);
            for (ulong b = start; b < end; b += (ulong)Batch * stride)
            {
                int count = 0;
                for (ulong u = b; u < end && count < Batch; u += stride) x[count++] = BitConverter.UInt32BitsToSingle((uint)u);
                MufuExp2.ExponentiateShifted(x.AsSpan(0, count), 0f, y);
                long local = 0;
                for (int i = 0; i < count; i++) if (MufuExp2.EvaluateBits(Bits(x[i])) != Bits(y[i])) local++;
                if (local != 0) Interlocked.Add(ref mismatches, local);
            }
        });
        Assert.Equal(0, mismatches);
    }
}
