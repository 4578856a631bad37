using FsCheck.Xunit;
using Sage.Emulation;
using Sage.Emulation.Mainloop;
using Sage.Emulation.TensorCores;
using Sage.Emulation.Tracing;
using Sage.Numerics;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// SageAttention2++'s promise (docs/kernel-spec.md §8): with |P| ≤ 448 and |V| ≤ 2.25, a 64-token FP16 accumulator
/// never overflows, whatever the input magnitudes. Adversarial inputs push P and V to their maxima.
/// </summary>
public class Fp16AccumulatorBoundTests
{
    private static readonly IDotProductModel Fp16Model = TensorCoreVariants.Get(PvModelSet.Fp16VariantName);
    private static readonly byte P448 = Ptx.CvtRnSatfiniteE4M3(448f);
    private static readonly byte V225 = Ptx.CvtRnSatfiniteE4M3(2.25f);

    /// <summary>Two k-steps (64 tokens) of the FP16 model on the largest allowed P and V, same or mixed signs.</summary>
    [Property(MaxTest = 300)]
    public void SixtyFourTokensAtTheBoundsNeverOverflow(int seed)
    {
        var rnd = new Random(seed);
        var p = new byte[64];
        var v = new byte[64];
        bool allPositive = rnd.Next(2) == 0;
        for (int i = 0; i < 64; i++)
        {
            // Mostly the maxima, sometimes any smaller code: P codes in [0, 448], V codes in [−2.25, 2.25].
            p[i] = rnd.Next(4) == 0 ? (byte)rnd.Next(0, P448 + 1) : P448;
            byte vc = rnd.Next(4) == 0 ? (byte)rnd.Next(0, V225 + 1) : V225;
            v[i] = allPositive || rnd.Next(2) == 0 ? vc : (byte)(vc | 0x80);
        }
        var mma = new PvMma(Fp16Model, MmaAccumulator.Fp16);
        float h = mma.Chain(p, v, 0f);
        Assert.True(float.IsFinite(h) && MathF.Abs(h) <= 64512f, $"h = {h} for seed {seed}");
    }

    /// <summary>
    /// End to end: K with all tokens equal (every score of a row equal, so every P is 448) and V with every token of a
    /// channel at ±max (so every v8 is ±2.25), at magnitudes from 10^−30 to 10^30 (FP32 inputs).
    /// </summary>
    [Property(MaxTest = 12)]
    public void AdversarialInputsKeepEveryFp16BlockFinite(int seed)
    {
        var rnd = new Random(seed);
        int n = rnd.Next(64, 300), d = rnd.Next(2) == 0 ? 64 : 128;
        // Q and K stay inside the spec's domain (finite scores); V spans the whole fp32 exponent range.
        double qkMagnitude = Math.Pow(10, rnd.Next(-10, 11));
        double magnitude = Math.Pow(10, rnd.Next(-30, 31));
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, n, n, d), causal: rnd.Next(2) == 0);
        var q = new float[n * d]; var k = new float[n * d]; var v = new float[n * d];
        var keyRow = new float[d];
        var sign = new float[d];
        for (int c = 0; c < d; c++) { keyRow[c] = (float)(qkMagnitude * (rnd.NextDouble() - 0.5)); sign[c] = rnd.Next(2) == 0 ? 1 : -1; }
        for (int t = 0; t < n; t++)
        for (int c = 0; c < d; c++)
        {
            q[t * d + c] = (float)(qkMagnitude * (rnd.NextDouble() - 0.5));
            k[t * d + c] = keyRow[c];
            v[t * d + c] = (float)(sign[c] * magnitude);
        }
        var options = new SageOptions { PvAccumulation = PvAccumulation.Fp16TwoLevel, SmoothK = rnd.Next(2) == 0, OutputType = ElementType.Float32 };
        var qt = HostTensor.FromSingle(q, 1, 1, n, d);
        var kt = HostTensor.FromSingle(k, 1, 1, n, d);
        var vt = HostTensor.FromSingle(v, 1, 1, n, d);
        var trace = RandomAttentionCase.Emulator.Trace(problem, qt, kt, vt, options, new TraceSelection(0, 0, 0));
        foreach (var tile in trace.KeyTiles)
            foreach (float h in tile.PvBlocks)
                Assert.True(float.IsFinite(h) && MathF.Abs(h) <= 64512f, $"block value {h} at magnitude {magnitude}");
        // Non-causal rows see full 64-token halves at P = 448 and V = ±2.25: the bound is reached exactly (while the
        // scores are small enough that m − log2(448) is not absorbed by rounding).
        if (!problem.Causal && n >= 128 && qkMagnitude <= 1)
            Assert.Contains(trace.KeyTiles[0].PvBlocks, h => MathF.Abs(h) == 64512f);
        var o = RandomAttentionCase.Emulator.Run(problem, qt, kt, vt, options).Output.Single;
        foreach (float x in o) Assert.True(float.IsFinite(x), $"output {x} at magnitude {magnitude}");
    }

    /// <summary>Why the block is 64 tokens: a 128-token FP16 accumulator at the same bounds does overflow.</summary>
    [Fact]
    public void OneHundredTwentyEightTokensAtTheBoundsWouldOverflow()
    {
        var p = Enumerable.Repeat(P448, 128).ToArray();
        var v = Enumerable.Repeat(V225, 128).ToArray();
        float h = new PvMma(Fp16Model, MmaAccumulator.Fp16).Chain(p, v, 0f);
        Assert.True(float.IsPositiveInfinity(h), $"h = {h}");
    }
}
