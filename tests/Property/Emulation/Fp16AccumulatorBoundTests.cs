using FsCheck.Xunit;
using Sage.Emulation;
using Sage.Emulation.Mainloop;
using Sage.Emulation.TensorCores;
using Sage.Emulation.Tracing;
using Sage.Numerics;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// The FP16 two-level promise (docs/kernel-spec.md §8): with |P| ≤ 448 and |V| ≤ V_MAX = 1.125, the one FP16 accumulator
/// of a 128-token K tile (four k-steps) never overflows, whatever the input magnitudes: 128·448·1.125 = 64512 ≤ 65504.
/// Adversarial inputs push P and V to their maxima.
/// </summary>
public class Fp16AccumulatorBoundTests
{
    private static readonly IDotProductModel Fp16Model = TensorCoreVariants.Get(PvModelSet.Fp16VariantName);
    private static readonly byte P448 = Ptx.CvtRnSatfiniteE4M3(448f);
    private static readonly byte VMax = Ptx.CvtRnSatfiniteE4M3(KernelConstants.VMax(PvAccumulation.Fp16TwoLevel));
    private const int Tile = 128;

    [Fact]
    public void TheFp16BoundIsOneHundredTwentyEightTokensAtOnePointOneTwoFive()
    {
        Assert.Equal(1.125f, KernelConstants.VMax(PvAccumulation.Fp16TwoLevel));
        Assert.Equal(1.125, new SageOptions { PvAccumulation = PvAccumulation.Fp16TwoLevel }.VScaleMax);
        Assert.Equal(1.125, Fp8E4M3.Decode(VMax));            // exact in E4M3
        Assert.Equal(Tile, KernelTiling.Fp16BlockTokens);      // one accumulator per K tile
        Assert.True(Tile * 448.0 * 1.125 <= 65504);
    }

    /// <summary>
    /// One 128-token tile of the FP16 model on the largest allowed P and V, same or mixed signs, for 128 rows × 64 channels,
    /// through the model's chain and through both PV kernels the emulator's stage uses (the register-blocked tile kernel and
    /// the rows-in-lanes kernel, fresh accumulators as in the two-level modes): every block finite, at most 64512, and the
    /// kernels equal to the model.
    /// </summary>
    [Property(MaxTest = 20)]
    public void OneTileAtTheBoundsNeverOverflows(int seed)
    {
        var rnd = new Random(seed);
        const int rows = 128, d = 64;
        var p = new byte[rows * Tile];
        for (int i = 0; i < p.Length; i++) p[i] = rnd.Next(4) == 0 ? (byte)rnd.Next(0, P448 + 1) : P448; // P codes in [0, 448]
        if (rnd.Next(2) == 0) Array.Fill(p, P448, 0, Tile);                                            // one flat row
        var v = new byte[Tile * d];                                                                     // token-major
        for (int c = 0; c < d; c++)
        {
            int pattern = c < 2 ? c : rnd.Next(3); // channel 0: all +V_MAX, channel 1: all −V_MAX, then random
            for (int t = 0; t < Tile; t++)
            {
                byte code = pattern < 2 || rnd.Next(4) != 0 ? VMax : (byte)rnd.Next(0, VMax + 1);    // |V| ≤ 1.125
                bool negative = pattern == 1 || (pattern == 2 && rnd.Next(2) == 0);
                v[t * d + c] = negative ? (byte)(code | 0x80) : code;
            }
        }
        var mma = new PvMma(Fp16Model, MmaAccumulator.Fp16, allowFastPath: false);
        var expected = new float[rows * d];
        var vColumn = new byte[Tile];
        for (int c = 0; c < d; c++)
        {
            for (int t = 0; t < Tile; t++) vColumn[t] = v[t * d + c];
            for (int r = 0; r < rows; r++)
            {
                float h = mma.Chain(p.AsSpan(r * Tile, Tile), vColumn, 0f);
                Assert.True(float.IsFinite(h) && MathF.Abs(h) <= 64512f, $"h = {h} at row {r}, channel {c}, seed {seed}");
                expected[r * d + c] = h;
            }
        }
        if (p.AsSpan(0, Tile).IndexOfAnyExcept(P448) < 0)
            Assert.Equal((64512f, -64512f), (expected[0], expected[1])); // the bound is reached exactly

        var fast = new PvMma(Fp16Model, MmaAccumulator.Fp16);
        if (fast.TileKernel is { } tileKernel)
        {
            var blocks = new float[rows * d];
            tileKernel.Chain(p, rows, v, d, 0, Tile, blocks, d, fromZero: true);
            Assert.Equal(expected.Select(BitConverter.SingleToUInt32Bits), blocks.Select(BitConverter.SingleToUInt32Bits));
        }
        if (fast.RowLaneKernel is { } rowLane)
        {
            var blocksT = new float[d * rows];
            rowLane.Chain(p, v, d, 0, Tile, blocksT, fromZero: true);
            for (int r = 0; r < rows; r++)
            for (int c = 0; c < d; c++)
                Assert.Equal(BitConverter.SingleToUInt32Bits(expected[r * d + c]), BitConverter.SingleToUInt32Bits(blocksT[c * rows + r]));
        }
    }

    /// <summary>
    /// End to end: K with all tokens equal (every score of a row equal, so every P is 448) and V with every token of a
    /// channel at ±max (so every v8 is ±1.125), at magnitudes from 10^−30 to 10^30 (FP32 inputs).
    /// </summary>
    [Property(MaxTest = 12)]
    public void AdversarialInputsKeepEveryFp16BlockFinite(int seed)
    {
        var rnd = new Random(seed);
        int n = rnd.Next(64, 300), d = rnd.Next(2) == 0 ? 64 : 128;
        // Q and K stay inside the spec's score domain (§0: max|Q|·max|K|·sm_scale·log2 e < 8·127², here at most
        // 0.25·10^6·0.18); V spans the whole fp32 exponent range.
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
        // Non-causal rows see the full first tile at P = 448 and V = ±1.125: the bound 128·448·1.125 is reached exactly
        // (while the scores are small enough that m − log2(448) is not absorbed by rounding).
        if (!problem.Causal && n >= 128 && qkMagnitude <= 1)
            Assert.Contains(trace.KeyTiles[0].PvBlocks, h => MathF.Abs(h) == 64512f);
        var o = RandomAttentionCase.Emulator.Run(problem, qt, kt, vt, options).Output.Single;
        foreach (float x in o) Assert.True(float.IsFinite(x), $"output {x} at magnitude {magnitude}");
    }

    /// <summary>
    /// Why V_MAX is 1.125 for a 128-token accumulator: SageAttention2++'s 2.25 (its 64-token bound) and the next E4M3 value
    /// above 1.125, 1.25, both overflow a 128-token FP16 accumulator at the bounds.
    /// </summary>
    [Theory]
    [InlineData(2.25f)]
    [InlineData(1.25f)]
    public void OneHundredTwentyEightTokensAboveTheBoundWouldOverflow(float vBound)
    {
        var p = Enumerable.Repeat(P448, Tile).ToArray();
        var v = Enumerable.Repeat(Ptx.CvtRnSatfiniteE4M3(vBound), Tile).ToArray();
        float h = new PvMma(Fp16Model, MmaAccumulator.Fp16).Chain(p, v, 0f);
        Assert.True(float.IsPositiveInfinity(h), $"h = {h}");
    }
}
