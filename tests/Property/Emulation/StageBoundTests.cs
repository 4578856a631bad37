using FsCheck.Xunit;
using Sage.Emulation;
using Sage.Emulation.Tracing;
using Sage.Numerics;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// Each traced stage against exact arithmetic on the same inputs, within the quantisation bounds the spec implies:
/// |x − q·scale| ≤ scale·(1/2 + 2^−16) for Q and K (x ⊘ scale is rounded once before cvt.rni), E4M3 half-ulp bounds for V and P, the score error
/// propagated from those, and P = 2^(S − base) to the accuracy of the kernel's exp2.
/// </summary>
public class StageBoundTests
{
    [Property(MaxTest = 30)]
    public void QuantisedStagesStayWithinTheirBounds(int seed)
    {
        var c = RandomAttentionCase.From(seed, maxLength: 260, allowFp32Inputs: true);
        var shape = c.Problem.Shape;
        var rnd = new Random(seed ^ 0x5a5a);
        var sel = new TraceSelection(rnd.Next(shape.Batch), rnd.Next(shape.QueryHeads),
            rnd.Next(KernelTiling.TileCount(shape.QueryLength, KernelTiling.QueryTileRows)));
        var t = RandomAttentionCase.Emulator.Trace(c.Problem, c.Q, c.K, c.V, c.Options, sel);
        int d = shape.HeadDim, kvHead = sel.QueryHead / shape.GroupSize;
        var q = Rows(c.Q, c.Problem, shape.QueryHeads, shape.QueryLength, sel.Batch, sel.QueryHead);
        var k = Rows(c.K, c.Problem, shape.KeyValueHeads, shape.KeyLength, sel.Batch, kvHead);
        var v = Rows(c.V, c.Problem, shape.KeyValueHeads, shape.KeyLength, sel.Batch, kvHead);
        float qmax = c.Options.QkFormat == QkFormat.Int4 ? 7 : 127;

        // K: K̃ = K − mean (fp32), |K̃ − q·scale| ≤ scale·(1/2 + 2^−16).
        var keyScalePerToken = new float[t.QuantizedK.Length / d];
        int groups = c.Options.Granularity == QuantGranularity.PerThread ? 4 : 1;
        for (int j = 0; j < keyScalePerToken.Length; j++)
            keyScalePerToken[j] = t.KeyGroupScales[j / 128 * groups + (groups == 4 ? (j % 8) / 2 : 0)];
        var kSmoothed = new double[shape.KeyLength * d];
        for (int j = 0; j < shape.KeyLength; j++)
        for (int ch = 0; ch < d; ch++)
        {
            float ks = c.Options.SmoothK ? k[j * d + ch] - t.KeyMean[ch] : k[j * d + ch];
            kSmoothed[j * d + ch] = ks;
            float scale = keyScalePerToken[j];
            sbyte qk = t.QuantizedK[j * d + ch];
            Assert.True(Math.Abs(qk) <= qmax, $"{c}: K code {qk}");
            Assert.True(Math.Abs(ks - (double)qk * scale) <= scale * (0.5 + 1e-5) + 1e-38, $"{c}: K[{j},{ch}] {ks} vs {qk}·{scale}");
        }

        // Q of the traced tile (Q̃ = Q − block mean with Q smoothing).
        int q0 = sel.QueryTile * 128;
        var qSmoothed = new double[128 * d];
        for (int r = 0; r < t.Rows; r++)
        for (int ch = 0; ch < d; ch++)
        {
            float x = q[(q0 + r) * d + ch];
            if (c.Options.SmoothQ) x -= t.QueryMean[r / 64 * d + ch];
            qSmoothed[r * d + ch] = x;
            float scale = t.QueryGroupScales[QueryGroup(c.Options.Granularity, r)];
            sbyte qq = t.QuantizedQ[r * d + ch];
            Assert.True(Math.Abs(x - (double)qq * scale) <= scale * (0.5 + 1e-5) + 1e-38, $"{c}: Q[{r},{ch}] {x} vs {qq}·{scale}");
        }

        // V: E4M3 round to nearest: ≤ 2^−4 relative for normals, ≤ 2^−10 absolute (scaled units) below 2^−6.
        for (int j = 0; j < shape.KeyLength; j++)
        for (int ch = 0; ch < d; ch++)
        {
            float scale = t.ValueScales[ch];
            double decoded = Fp8E4M3.Decode(t.ValueCodesTransposed[ch * (t.QuantizedK.Length / d) + j]) * (double)scale;
            double x = v[j * d + ch];
            Assert.True(Math.Abs(x - decoded) <= Math.Max(Math.Abs(x) / 16, scale / 1024.0) * 1.000001, $"{c}: V[{j},{ch}] {x} vs {decoded}");
        }

        // S and P per visited tile.
        float log2eScale = KernelConstants.SoftmaxScaleLog2(c.Problem.SoftmaxScale);
        foreach (var tile in t.KeyTiles)
        for (int r = 0; r < t.Rows; r++)
        {
            int row = q0 + r;
            for (int n = 0; n < 128; n++)
            {
                int j = tile.KeyTile * 128 + n;
                float s = tile.Scores[r * 128 + n];
                if (j >= shape.KeyLength || j > c.Problem.LastVisibleKey(row)) { Assert.True(float.IsNegativeInfinity(s)); continue; }
                double exact = 0, bound = 0;
                float qs = t.QueryGroupScales[QueryGroup(c.Options.Granularity, r)], ks = keyScalePerToken[j];
                for (int ch = 0; ch < d; ch++)
                {
                    double a = qSmoothed[r * d + ch], b = kSmoothed[j * d + ch];
                    exact += a * b;
                    bound += Math.Abs(a) * ks / 2 + Math.Abs(b) * qs / 2 + qs * ks / 4;
                }
                if (c.Options.SmoothQ)
                    for (int ch = 0; ch < d; ch++) exact += (double)t.QueryMean[r / 64 * d + ch] * kSmoothed[j * d + ch];
                exact *= log2eScale;
                bound = bound * log2eScale * 1.0001 + Math.Abs(exact) * 1e-6 + 1e-30;
                Assert.True(Math.Abs(s - exact) <= bound, $"{c}: S[{row},{j}] = {s}, exact {exact}, bound {bound}");

                float p = tile.Probabilities[r * 128 + n];
                // The exponent is the rounded fp32 difference S ⊖ base (spec §7.5); the kernel's exp2 is then within 1e-6.
                // Where qk < 2^−7 (no Q smoothing) it is fma(SHIFTER + acc, qk, c) instead, c = (−SHIFTER ⊗ qk) ⊖ base:
                // acc·qk − base off by the roundings of S, c and the fma, ulp(S)/2 + ulp(c)/2 + ulp(x)/2 at most.
                float tileBase = tile.Base[r];
                double expected = Math.Pow(2, s - tileBase);
                float qkCleared = Sage.Emulation.Mainloop.ScoreDequantization.ScoreScale(t.QueryScalePerRow[r], ks);
                double exponentSlack = 0;
                if (Sage.Emulation.Softmax.ExponentArgument.IsFused(qkCleared, c.Options.SmoothQ))
                {
                    float offset = -(KernelConstants.ScoreShifter * qkCleared) - tileBase;
                    exponentSlack = (Ulp(s) + Ulp(offset) + Ulp(s - tileBase) * 2) / 2;
                    Assert.True(Math.Abs(offset - (-(double)KernelConstants.ScoreShifter * qkCleared - tileBase)) <= 1.0 / 256,
                        $"{c}: offset {offset} rounds by more than 2^−8 (qk {qkCleared}, base {tileBase})");
                }
                double tolerance = Math.Pow(2, exponentSlack) - 1 + 1e-6;
                Assert.True(Math.Abs(p - expected) <= expected * tolerance + 1e-37, $"{c}: P = {p}, 2^(S − base) = {expected}, tolerance {tolerance}");
                double p8 = Fp8E4M3.Decode(tile.ProbabilityCodes[r * 128 + n]);
                Assert.True(Math.Abs(Math.Min(p, 448f) - p8) <= Math.Max(p / 16, 1.0 / 1024), $"{c}: P {p} → E4M3 {p8}");
            }
        }
    }

    /// <summary>The spacing of fp32 values at |x| (the next float above |x| minus |x|).</summary>
    private static double Ulp(float x) => MathF.BitIncrement(MathF.Abs(x)) - (double)MathF.Abs(x);

    private static int QueryGroup(QuantGranularity g, int row) => g switch
    {
        QuantGranularity.PerThread => row / 16 * 8 + row % 8,
        QuantGranularity.PerWarp => row / 16,
        _ => row / 64,
    };

    /// <summary>The token rows of one (batch, head), token-major.</summary>
    internal static float[] Rows(HostTensor t, AttentionProblem p, int heads, int tokens, int batch, int head)
    {
        int d = p.Shape.HeadDim;
        var all = t.ToSingleArray();
        var rows = new float[tokens * d];
        for (int n = 0; n < tokens; n++)
        {
            long at = p.Layout == TensorLayout.HND ? (((long)batch * heads + head) * tokens + n) * d : (((long)batch * tokens + n) * heads + head) * d;
            Array.Copy(all, at, rows, n * d, d);
        }
        return rows;
    }
}
