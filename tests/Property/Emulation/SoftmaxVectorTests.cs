using FsCheck.Xunit;
using Sage.Emulation.Mainloop;
using Sage.Emulation.Softmax;
using Sage.Emulation.SpecialFunctions;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// The vectorised softmax pieces equal their scalar definitions bit for bit: the lane partial sums (order-sensitive:
/// magnitudes spread over 2^±40 so that any reordering shows), the tile maximum (−∞, ±0, NaN), the score dequantisation
/// and the exp2 arguments (docs/kernel-spec.md §5.3, §7.5: with and without ΔS, any visible count) against a plain scalar
/// implementation of the formulas; the integer-max identity the kernel relies on; and the emulator's two-pass softmax
/// (tile maxima, then <see cref="OnlineSoftmax.StepRows"/> for all rows, then the arguments and
/// <see cref="OnlineSoftmax.Exponentiate"/> per row) equals <see cref="OnlineSoftmax.Update"/> row by row.
/// </summary>
public class SoftmaxVectorTests
{
    private const float Shifter = 12582912f; // 1.5·2^23

    /// <summary>One random row of score inputs: QK sums, scales, ΔS, visible count (all within the spec's domain).</summary>
    private sealed record RowInputs(int[] Acc, float QueryScale, float[] KeyScales, float[] DeltaS, bool SmoothQ, int Visible)
    {
        public ScoreRow Row() => new(Acc, QueryScale, KeyScales, SmoothQ ? DeltaS : ReadOnlySpan<float>.Empty, Visible);

        public static RowInputs Random(Random rnd, int keys = 128)
        {
            var acc = new int[keys];
            var keyScales = new float[keys];
            var deltaS = new float[keys];
            // A tile's k_scale is per lane group (4 per tile) or per tile; random per key covers both and more.
            int accRange = rnd.Next(4) switch { 0 => 1 << 22, 1 => 127 * 127 * 128 + 1, 2 => 7 * 7 * 128 + 1, _ => 1 << 16 };
            for (int j = 0; j < keys; j++)
            {
                acc[j] = rnd.Next(10) == 0 ? (rnd.Next(2) == 0 ? accRange - 1 : -accRange) : rnd.Next(-accRange, accRange);
                keyScales[j] = rnd.Next(20) == 0 ? 0f : (float)(rnd.NextDouble() * Math.Pow(2, rnd.Next(-30, 10)));
                deltaS[j] = rnd.Next(20) == 0 ? -0f : (float)((rnd.NextDouble() - 0.5) * Math.Pow(2, rnd.Next(-10, 12)));
            }
            float queryScale = rnd.Next(30) == 0 ? 0f : (float)(rnd.NextDouble() * Math.Pow(2, rnd.Next(-24, 5)));
            int visible = rnd.Next(6) == 0 ? keys : rnd.Next(-5, keys + 12);
            return new RowInputs(acc, queryScale, keyScales, deltaS, rnd.Next(2) == 0, visible);
        }

        /// <summary>The spec's formulas, written out plainly: S (base = null) or the exp2 argument of key j.</summary>
        public float Expected(int j, float? @base)
        {
            if (j >= Math.Clamp(Visible, 0, Acc.Length)) return float.NegativeInfinity;
            float f = (float)(Acc[j] + 12582912);      // SHIFTER + acc: an integer below 2^24, exact
            float qk = QueryScale * KeyScales[j];
            float shift = Shifter * qk;
            float bias = SmoothQ ? DeltaS[j] - shift : -shift;
            return @base is { } b ? MathF.FusedMultiplyAdd(f, qk, bias - b) : MathF.FusedMultiplyAdd(f, qk, bias);
        }
    }

    private static uint Bits(float x) => BitConverter.SingleToUInt32Bits(x);

    [Property(MaxTest = 200)]
    public void RowPassesEqualUpdate(int seed)
    {
        var rnd = new Random(seed);
        int rows = rnd.Next(1, 130);
        var inputs = new RowInputs[rows];
        for (int r = 0; r < rows; r++)
        {
            inputs[r] = RowInputs.Random(rnd);
            if (rnd.Next(8) == 0) inputs[r] = inputs[r] with { Visible = 0 }; // a row that sees no key
        }
        var running = new float[rows];
        for (int r = 0; r < rows; r++)
            running[r] = rnd.Next(4) == 0 ? float.NegativeInfinity : (float)((rnd.NextDouble() - 0.5) * 60);
        var lanes = new float[rows * 4];
        for (int i = 0; i < lanes.Length; i++) lanes[i] = (float)(rnd.NextDouble() * 1000);

        var (expectedRunning, expectedLanes) = ((float[])running.Clone(), (float[])lanes.Clone());
        var (expectedP, expectedCodes) = (new float[rows * 128], new byte[rows * 128]);
        var expectedSteps = new OnlineSoftmax.Step[rows];
        for (int r = 0; r < rows; r++)
            expectedSteps[r] = OnlineSoftmax.Update(inputs[r].Row(), ref expectedRunning[r], expectedLanes.AsSpan(r * 4, 4),
                expectedP.AsSpan(r * 128, 128), expectedCodes.AsSpan(r * 128, 128));

        var tileMax = new float[rows];
        var scores = new float[128];
        for (int r = 0; r < rows; r++)
        {
            ScoreDequantization.Dequantize(inputs[r].Row(), scores);
            tileMax[r] = OnlineSoftmax.TileMax(scores);
        }
        var steps = new OnlineSoftmax.Step[rows];
        OnlineSoftmax.StepRows(tileMax, running, steps);
        var (p, codes) = (new float[rows * 128], new byte[rows * 128]);
        var arguments = new float[128];
        for (int r = 0; r < rows; r++)
        {
            ScoreDequantization.ExponentArguments(inputs[r].Row(), steps[r].Base, arguments);
            OnlineSoftmax.Exponentiate(arguments, steps[r], lanes.AsSpan(r * 4, 4), p.AsSpan(r * 128, 128), codes.AsSpan(r * 128, 128));
        }

        for (int r = 0; r < rows; r++)
        {
            Assert.Equal(Bits(expectedRunning[r]), Bits(running[r]));
            Assert.Equal((Bits(expectedSteps[r].TileMax), Bits(expectedSteps[r].NewMax), Bits(expectedSteps[r].Rescale), Bits(expectedSteps[r].Base)),
                (Bits(steps[r].TileMax), Bits(steps[r].NewMax), Bits(steps[r].Rescale), Bits(steps[r].Base)));
        }
        Assert.Equal(expectedLanes.Select(Bits), lanes.Select(Bits));
        Assert.Equal(expectedP.Select(Bits), p.Select(Bits));
        Assert.Equal(expectedCodes, codes);
    }

    /// <summary>Update's P is exp2 of the spec's argument, not of S ⊖ base: each P is the MUFU model at fma(f, qk, bias ⊖ base).</summary>
    [Property(MaxTest = 100)]
    public void UpdateExponentiatesTheSpecArguments(int seed)
    {
        var rnd = new Random(seed);
        var row = RowInputs.Random(rnd);
        float running = rnd.Next(3) == 0 ? float.NegativeInfinity : (float)((rnd.NextDouble() - 0.5) * 60);
        var (lanes, p, codes) = (new float[4], new float[128], new byte[128]);
        var step = OnlineSoftmax.Update(row.Row(), ref running, lanes, p, codes);
        float tileMax = float.NegativeInfinity;
        for (int j = 0; j < 128; j++) tileMax = OnlineSoftmax.MaxF32(tileMax, row.Expected(j, null));
        Assert.Equal(Bits(tileMax), Bits(step.TileMax));
        for (int j = 0; j < 128; j++)
            Assert.Equal(Bits(MufuExp2.Evaluate(row.Expected(j, step.Base))), Bits(p[j]));
    }

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

    /// <summary>S and the exp2 arguments (the Vector512 body and the scalar tail) equal the plain formulas bit for bit.</summary>
    [Property(MaxTest = 300)]
    public void ScoresAndArgumentsEqualThePlainScalarFormulas(int seed)
    {
        var rnd = new Random(seed);
        int keys = rnd.Next(3) == 0 ? rnd.Next(1, 160) : 128;
        var row = RowInputs.Random(rnd, keys);
        float @base = rnd.Next(5) switch
        {
            0 => 0f,
            1 => -0f,
            2 => (float)((rnd.NextDouble() - 0.5) * Math.Pow(2, rnd.Next(0, 30))),
            _ => (float)((rnd.NextDouble() - 0.5) * 60),
        };
        var scores = new float[keys];
        var arguments = new float[keys];
        ScoreDequantization.Dequantize(row.Row(), scores);
        ScoreDequantization.ExponentArguments(row.Row(), @base, arguments);
        for (int j = 0; j < keys; j++)
        {
            Assert.Equal(Bits(row.Expected(j, null)), Bits(scores[j]));
            Assert.Equal(Bits(row.Expected(j, @base)), Bits(arguments[j]));
            if (j < row.Visible)
                Assert.Equal(Bits(row.Expected(j, @base)),
                    Bits(ScoreDequantization.Argument(row.Acc[j], row.QueryScale, row.KeyScales[j], row.DeltaS[j], row.SmoothQ, @base)));
        }
    }

    /// <summary>
    /// The identity the kernel's tile maximum relies on (§7.1): for qk ≥ 0 and any bias, fma(f, qk, bias) is monotone in f,
    /// so max_j fma(f_j, qk, bias) = fma(f(max_j acc_j), qk, bias) exactly; and the emulator's S of a row whose keys share
    /// one k_scale, without ΔS, has its tile maximum at the largest visible QK sum.
    /// </summary>
    [Property(MaxTest = 500)]
    public void TheMaximumOfTheScoresIsTheScoreOfTheMaximumSum(int seed)
    {
        var rnd = new Random(seed);
        int n = rnd.Next(1, 129);
        int range = rnd.Next(3) switch { 0 => 1 << 22, 1 => 127 * 127 * 128 + 1, _ => 64 };
        var acc = new int[n];
        for (int j = 0; j < n; j++) acc[j] = rnd.Next(-range, range);
        if (rnd.Next(4) == 0) Array.Fill(acc, acc[0]); // ties
        float qk = rnd.Next(6) switch
        {
            0 => 0f,
            1 => BitConverter.Int32BitsToSingle(rnd.Next(1, 1 << 23)), // subnormal
            2 => (float)(rnd.NextDouble() * Math.Pow(2, rnd.Next(-126, 100))),
            _ => (float)(rnd.NextDouble() * Math.Pow(2, rnd.Next(-30, 0))),
        };
        float bias = rnd.Next(6) switch
        {
            0 => 0f,
            1 => -0f,
            2 => -(Shifter * qk),
            _ => (float)((rnd.NextDouble() - 0.5) * Math.Pow(2, rnd.Next(-140, 120))),
        };
        float maxOfScores = float.NegativeInfinity;
        int maxAcc = int.MinValue;
        foreach (int a in acc)
        {
            maxOfScores = OnlineSoftmax.MaxF32(maxOfScores, MathF.FusedMultiplyAdd((float)(a + 12582912), qk, bias));
            maxAcc = Math.Max(maxAcc, a);
        }
        Assert.Equal(Bits(MathF.FusedMultiplyAdd((float)(maxAcc + 12582912), qk, bias)), Bits(maxOfScores));

        // The same through the emulator's stage: one k_scale for the row's keys, no ΔS, some keys masked.
        float queryScale = (float)(rnd.NextDouble() * Math.Pow(2, rnd.Next(-20, 5)));
        var keyScales = Enumerable.Repeat((float)(rnd.NextDouble() * Math.Pow(2, rnd.Next(-30, 10))), n).ToArray();
        int visible = rnd.Next(1, n + 1);
        var scores = new float[n];
        ScoreDequantization.Dequantize(new ScoreRow(acc, queryScale, keyScales, ReadOnlySpan<float>.Empty, visible), scores);
        int maxVisible = acc.Take(visible).Max();
        float atMaxSum = ScoreDequantization.Argument(maxVisible, queryScale, keyScales[0], 0f, smoothQ: false, 0f);
        Assert.Equal(Bits(atMaxSum), Bits(OnlineSoftmax.TileMax(scores)));
    }
}
