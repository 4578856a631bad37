using FsCheck.Xunit;
using Sage.Emulation;
using Sage.Emulation.Mainloop;
using Sage.Emulation.Softmax;
using Sage.Numerics;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// LogLinear against the Exp2 encoding on the same row (docs/kernel-spec.md §7.8, "Accuracy"): where the Exp2 code is an
/// E4M3 normal (P ≥ 2^−6, i.e. x ≥ −6 below a row maximum at 448) the two codes are at most one step apart; below it,
/// where E4M3 codes are subnormal and linear in P while LogLinear's stay linear in x, the LogLinear code is lower by at
/// most four steps (P &lt; 2^−6, below 2^−6/448 of the row's largest P). Over uniformly spread x most codes are equal,
/// and the ratio of the two P values has a mean near 1 and a spread only a little above E4M3 rounding's.
/// </summary>
public class LogLinearExp2StepTests
{
    /// <summary>A row's tile on both rules: INT8-range sums, qk on both sides of 2^−7, base from the row maximum.</summary>
    private static (float Qs, float[] Ks, bool SmoothQ, int[] Acc, int Visible, float[] Scores, float Base) Row(Random rnd)
    {
        float qs = (float)Math.Pow(2, -14 + 10 * rnd.NextDouble());
        var ks = new float[128];
        float groupScale = (float)Math.Pow(2, -6 + 8 * rnd.NextDouble());
        for (int j = 0; j < 128; j++) ks[j] = rnd.Next(4) == 0 ? (float)Math.Pow(2, -6 + 8 * rnd.NextDouble()) : groupScale;
        bool smoothQ = rnd.Next(4) == 0;
        var acc = new int[128];
        int range = 1 << rnd.Next(8, 22);
        for (int j = 0; j < 128; j++) acc[j] = rnd.Next(-range, range);
        var deltaS = new float[128];
        for (int j = 0; j < 128; j++) deltaS[j] = (float)((rnd.NextDouble() - 0.5) * 4);
        int visible = rnd.Next(3) == 0 ? rnd.Next(0, 129) : 128;
        var scores = new float[128];
        ScoreDequantization.Dequantize(acc, qs, ks, smoothQ ? deltaS : ReadOnlySpan<float>.Empty, visible, scores);
        var steps = new OnlineSoftmax.Step[1];
        OnlineSoftmax.StepRows([OnlineSoftmax.TileMax(scores)], new[] { float.NegativeInfinity }, steps);
        return (qs, ks, smoothQ, acc, visible, scores, steps[0].Base);
    }

    [Property(MaxTest = 500)]
    public void CodesAreWithinOneStepWhereExp2IsNormalAndAtMostFourLowerBelow(int seed)
    {
        var (qs, ks, smoothQ, acc, visible, scores, @base) = Row(new Random(seed));
        var p = new float[128];
        var exp2Codes = new byte[128];
        ExponentArgument.Exponentiate(acc, qs, ks, smoothQ, scores, visible, @base, p);
        OnlineSoftmax.Quantize(p, exp2Codes);
        var z = new float[128];
        var codes = new byte[128];
        LogLinearCodes.Encode(acc, qs, ks, smoothQ, scores, visible, @base, z, codes);
        for (int j = 0; j < 128; j++)
        {
            int e = exp2Codes[j], l = codes[j];
            Assert.True(l <= 126 && e <= 126, $"key {j}: codes {l}, {e}");
            string what = $"key {j}: LogLinear {l} (z = {z[j]}), Exp2 {e} (P = {p[j]})";
            if (e >= 8) Assert.True(Math.Abs(e - l) <= 1, what);
            else Assert.True(e - l is >= 0 and <= 4, what);
        }
    }

    /// <summary>
    /// 20,000 x spread uniformly over [−6, log2 448] (the normal codes): at least 80 % of the codes equal Exp2's, the
    /// mean of ln(p8 / 2^x) within 0.01 of Exp2's and its standard deviation at most 1.3 times Exp2's.
    /// </summary>
    [Fact]
    public void OverUniformArgumentsMostCodesAreEqualAndTheSpreadIsCloseToE4M3Rounding()
    {
        var rnd = new Random(3);
        const int n = 20_000;
        int equal = 0;
        double sumL = 0, sumE = 0, sumL2 = 0, sumE2 = 0;
        var x = new float[n];
        var p = new float[n];
        var exp2Codes = new byte[n];
        for (int i = 0; i < n; i++) x[i] = (float)(-6 + (KernelConstants.Log2Of448 + 6) * rnd.NextDouble());
        Sage.Emulation.SpecialFunctions.MufuExp2.Evaluate(x, p);
        OnlineSoftmax.Quantize(p, exp2Codes);
        for (int i = 0; i < n; i++)
        {
            byte l = LogLinearCodes.Code(LogLinearCodes.TwoStep(x[i], 0f));
            if (l == exp2Codes[i]) equal++;
            double exact = Math.Pow(2, x[i]);
            double rl = Math.Log(Fp8E4M3.Decode(l) / exact), re = Math.Log(Fp8E4M3.Decode(exp2Codes[i]) / exact);
            sumL += rl; sumL2 += rl * rl; sumE += re; sumE2 += re * re;
        }
        double meanL = sumL / n, meanE = sumE / n;
        double sdL = Math.Sqrt(sumL2 / n - meanL * meanL), sdE = Math.Sqrt(sumE2 / n - meanE * meanE);
        string report = $"equal {equal / (double)n:P1}, ln(p8/P): LogLinear mean {meanL:F4} sd {sdL:F4}, Exp2 mean {meanE:F4} sd {sdE:F4}";
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        Assert.True(equal >= 0.8 * n, report);
        Assert.True(Math.Abs(meanL - meanE) <= 0.01, report);
        Assert.True(sdL <= 1.3 * sdE, report);
    }
}
