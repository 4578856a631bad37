using FsCheck.Xunit;
using Sage.Emulation;
using Sage.Emulation.Mainloop;
using Sage.Emulation.Softmax;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// The vectorised softmax pieces equal their scalar definitions bit for bit: the tile maximum (−∞, ±0, NaN) and the score
/// dequantisation (with and without ΔS, any visible count); and the emulator's two-pass softmax (tile maxima, then
/// <see cref="OnlineSoftmax.StepRows"/> for all rows, then <see cref="OnlineSoftmax.Exponentiate"/> per row) equals
/// <see cref="OnlineSoftmax.Update"/> row by row.
/// </summary>
public class SoftmaxVectorTests
{
    [Property(MaxTest = 200)]
    public void RowPassesEqualUpdate(int seed)
    {
        var rnd = new Random(seed);
        int rows = rnd.Next(1, 130);
        var scores = new float[rows * 128];
        for (int i = 0; i < scores.Length; i++)
            scores[i] = rnd.Next(10) switch
            {
                0 => float.NegativeInfinity,                  // masked
                1 => (float)((rnd.NextDouble() - 0.5) * 400), // far apart
                _ => (float)((rnd.NextDouble() - 0.5) * 20),
            };
        for (int r = 0; r < rows; r++)
            if (rnd.Next(8) == 0) Array.Fill(scores, float.NegativeInfinity, r * 128, 128); // a row that sees no key
        var running = new float[rows];
        for (int r = 0; r < rows; r++)
            running[r] = rnd.Next(4) == 0 ? float.NegativeInfinity : (float)((rnd.NextDouble() - 0.5) * 60);

        var expectedRunning = (float[])running.Clone();
        var (expectedP, expectedCodes) = (new float[scores.Length], new byte[scores.Length]);
        var expectedSteps = new OnlineSoftmax.Step[rows];
        for (int r = 0; r < rows; r++)
            expectedSteps[r] = OnlineSoftmax.Update(scores.AsSpan(r * 128, 128), ref expectedRunning[r], expectedP.AsSpan(r * 128, 128),
                expectedCodes.AsSpan(r * 128, 128));

        var tileMax = new float[rows];
        for (int r = 0; r < rows; r++) tileMax[r] = OnlineSoftmax.TileMax(scores.AsSpan(r * 128, 128));
        var steps = new OnlineSoftmax.Step[rows];
        OnlineSoftmax.StepRows(tileMax, running, steps);
        var (p, codes) = (new float[scores.Length], new byte[scores.Length]);
        for (int r = 0; r < rows; r++)
            OnlineSoftmax.Exponentiate(scores.AsSpan(r * 128, 128), steps[r], p.AsSpan(r * 128, 128), codes.AsSpan(r * 128, 128));

        static uint Bits(float x) => BitConverter.SingleToUInt32Bits(x);
        for (int r = 0; r < rows; r++)
        {
            Assert.Equal(Bits(expectedRunning[r]), Bits(running[r]));
            Assert.Equal((Bits(expectedSteps[r].TileMax), Bits(expectedSteps[r].NewMax), Bits(expectedSteps[r].Rescale), Bits(expectedSteps[r].Base)),
                (Bits(steps[r].TileMax), Bits(steps[r].NewMax), Bits(steps[r].Rescale), Bits(steps[r].Base)));
        }
        Assert.Equal(expectedP.Select(Bits), p.Select(Bits));
        Assert.Equal(expectedCodes, codes);
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
            // The kernel's shifter form (S = fma(SHIFTER + acc, qk, −(SHIFTER ⊗ qk))) must be the plain product acc ⊗ qk.
            float qk = ScoreDequantization.ScoreScale(queryScale, keyScales[j]);
            float expected = j >= Math.Clamp(visible, 0, 128) ? float.NegativeInfinity
                : smoothQ ? MathF.FusedMultiplyAdd(acc[j], qk, deltaS[j])
                : acc[j] * qk;
            Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(scores[j]));
        }
    }

    /// <summary>
    /// ScoreScale clears the two low significand bits, and that makes SHIFTER ⊗ qk exact (3·qk fits 24 bits) for any
    /// finite qk whose product with SHIFTER stays finite, subnormal qk included; qk moves by less than 2^−21 relative.
    /// </summary>
    [Property(MaxTest = 1000)]
    public void ScoreScaleMakesTheShifterProductExact(int seed)
    {
        var rnd = new Random(seed);
        float qs = BitConverter.UInt32BitsToSingle((uint)rnd.Next(0, 0x7F000000));
        float ks = rnd.Next(4) == 0 ? BitConverter.UInt32BitsToSingle((uint)rnd.Next(1, 0x00800000)) : (float)Math.ScaleB(1 + rnd.NextDouble(), rnd.Next(-40, 5));
        if (!float.IsFinite(qs * ks)) return;
        float qk = ScoreDequantization.ScoreScale(qs, ks);
        double exactShift = (double)KernelConstants.ScoreShifter * qk;
        if (exactShift > float.MaxValue) return; // outside the score domain of spec §0
        Assert.Equal(exactShift, (double)(KernelConstants.ScoreShifter * qk));
        Assert.True(Math.Abs(qk - (double)qs * ks) <= Math.Abs((double)(qs * ks)) * Math.ScaleB(1, -21) + (double)float.Epsilon * 4);
    }

    /// <summary>
    /// What the kernel relies on to take the lane maximum on the integer sums: without ΔS, S is monotone in acc
    /// (qk ≥ 0), so the maximum of the scores is the score of the maximum sum, bit for bit.
    /// </summary>
    [Property(MaxTest = 500)]
    public void MaximumOfScoresIsTheScoreOfTheMaximumSum(int seed)
    {
        var rnd = new Random(seed);
        int n = rnd.Next(1, 33);
        var acc = new int[n];
        int range = rnd.Next(2) == 0 ? 1 << 21 : 50;
        for (int j = 0; j < n; j++) acc[j] = rnd.Next(-range, range + 1);
        float qk = ScoreDequantization.ScoreScale((float)Math.ScaleB(rnd.NextDouble(), rnd.Next(-60, 20)), rnd.Next(10) == 0 ? 0f : (float)Math.ScaleB(rnd.NextDouble(), rnd.Next(-60, 20)));
        float max = float.NegativeInfinity;
        foreach (int a in acc) max = OnlineSoftmax.MaxF32(max, ScoreDequantization.Score(a, qk, null));
        Assert.Equal(BitConverter.SingleToUInt32Bits(max), BitConverter.SingleToUInt32Bits(ScoreDequantization.Score(acc.Max(), qk, null)));
    }
}
