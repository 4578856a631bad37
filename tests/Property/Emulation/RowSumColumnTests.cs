using FsCheck.Xunit;
using Sage.Emulation;
using Sage.Emulation.Mainloop;
using Sage.Emulation.TensorCores;
using Sage.Emulation.Tracing;
using Sage.Numerics;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// The row sum l is one more PV column whose V is all E4M3 1.0 (docs/kernel-spec.md §7-§9): the stage equals a
/// straightforward evaluation (decoded codes, one <see cref="IDotProductModel.Dot"/> per k-step with b = 1.0 from +0, then
/// l = fma(l, rescale, column) in every mode), the emulator's trace follows that rule tile by tile, a row without a
/// visible key keeps l = +0, a long sum keeps its low bits (the Fp32 mode's running l is never the MMA's C), and the
/// FP16 accumulator of the column cannot overflow (at most 128·448 = 57344).
/// </summary>
public class RowSumColumnTests
{
    private static readonly PvModelSet Models = PvModelSet.Measured();
    private static readonly byte P448 = Ptx.CvtRnSatfiniteE4M3(448f);
    private static readonly float[] OnesOfAKStep = Enumerable.Repeat(1f, KernelTiling.PvKStep).ToArray();

    /// <summary>
    /// Spec §8's row-sum rule written out with the tensor-core model itself, independent of <see cref="PvMma"/>: the
    /// tile's column from +0 through the mode's accumulator (FP32 for Fp32 and Fp32TwoLevel, FP16 for Fp16TwoLevel),
    /// then l = fma(l, rescale, column).
    /// </summary>
    private static float Expected(PvAccumulation mode, ReadOnlySpan<byte> p8, float rescale, float rowSum)
    {
        var model = TensorCoreVariants.Get(mode == PvAccumulation.Fp16TwoLevel ? PvModelSet.Fp16VariantName : PvModelSet.Fp32VariantName);
        float c = 0f;
        Span<float> a = stackalloc float[KernelTiling.PvKStep];
        for (int s = 0; s < p8.Length; s += KernelTiling.PvKStep)
        {
            for (int k = 0; k < a.Length; k++) a[k] = Fp8E4M3.Decode(p8[s + k]);
            c = model.Dot(a, OnesOfAKStep, c);
        }
        return MathF.FusedMultiplyAdd(rowSum, rescale, c);
    }

    private static byte[] RandomCodes(Random rnd, int count)
    {
        var codes = new byte[count];
        int style = rnd.Next(4);
        for (int i = 0; i < codes.Length; i++)
            codes[i] = style switch
            {
                0 => P448,                                                    // flat row at the top of E4M3
                1 => rnd.Next(3) == 0 ? (byte)0 : (byte)rnd.Next(0, 8),        // masked keys and subnormal P
                _ => rnd.Next(5) == 0 ? (byte)0 : (byte)rnd.Next(0, P448 + 1), // anything in [0, 448]
            };
        return codes;
    }

    private static float RandomRescale(Random rnd) => rnd.Next(6) switch
    {
        0 => 1f,
        1 => 0f,                                                  // the first visited tile of a row (m_old = −∞)
        2 => (float)Math.ScaleB(1 + rnd.NextDouble(), rnd.Next(-149, -126)), // subnormal
        _ => (float)rnd.NextDouble(),
    };

    private static float RandomRowSum(Random rnd) => rnd.Next(4) switch
    {
        0 => 0f,
        1 => (float)Math.ScaleB(1 + rnd.NextDouble(), rnd.Next(-140, 0)),
        _ => (float)(rnd.NextDouble() * 1e6),
    };

    [Property(MaxTest = 300)]
    public void StageEqualsTheTensorCoreModelPerKStep(int seed)
    {
        var rnd = new Random(seed);
        var mode = (PvAccumulation)rnd.Next(3);
        int rows = rnd.Next(1, 9);
        var codes = RandomCodes(rnd, rows * KernelTiling.KeyTileTokens);
        var rescale = new float[rows];
        var rowSums = new float[rows];
        for (int r = 0; r < rows; r++) (rescale[r], rowSums[r]) = (RandomRescale(rnd), RandomRowSum(rnd));
        var before = (float[])rowSums.Clone();

        RowSumColumn.UpdateRows(Models.For(mode), codes, rows, rescale, rowSums);

        for (int r = 0; r < rows; r++)
        {
            var row = codes.AsSpan(r * KernelTiling.KeyTileTokens, KernelTiling.KeyTileTokens);
            float expected = Expected(mode, row, rescale[r], before[r]);
            Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(rowSums[r]),
                $"seed {seed}, {mode}, row {r}: stage {rowSums[r]:R}, model {expected:R} (l before {before[r]:R}, rescale {rescale[r]:R})");
            // The column of one tile (from +0) is a sum of at most 128 codes ≤ 448: finite and at most 57344 in every mode.
            float column = Expected(mode, row, 0f, 0f);
            Assert.True(float.IsFinite(column) && column >= 0f && column <= 57344f, $"seed {seed}, {mode}: column {column}");
        }
    }

    /// <summary>The rows-in-lanes evaluation of a whole query tile (the emulator's fast path) equals the stage row by row.</summary>
    [Property(MaxTest = 100)]
    public void RowLaneEvaluationEqualsTheStage(int seed)
    {
        var rnd = new Random(seed);
        var mode = (PvAccumulation)rnd.Next(3);
        var mma = Models.For(mode);
        if (mma.RowLaneKernel is not { } kernel) { Assert.Skip("the rows-in-lanes kernel needs AVX-512"); return; }
        const int rows = Fp8PvRowLaneKernel.Rows, tile = KernelTiling.KeyTileTokens;
        int real = rnd.Next(1, rows + 1);
        var codes = RandomCodes(rnd, rows * tile);
        codes.AsSpan(real * tile).Clear();                        // padding rows: zero codes, factor 1, l = 0
        var rescale = new float[rows];
        var rowSums = new float[rows];
        for (int r = 0; r < real; r++) (rescale[r], rowSums[r]) = (RandomRescale(rnd), RandomRowSum(rnd));
        rescale.AsSpan(real).Fill(1f);
        var expected = (float[])rowSums.Clone();
        RowSumColumn.UpdateRows(mma, codes, rows, rescale, expected);

        var (codesT, pT, eT) = (new byte[rows * tile], new float[rows * tile], new sbyte[rows * tile]);
        Fp8PvRowLaneKernel.TransposeCodes(codes, codesT);
        Fp8PvTileKernel.Decode(codesT, pT, eT);
        RowSumColumn.UpdateTransposed(kernel, codesT, pT, eT, rescale, rowSums);
        for (int r = 0; r < rows; r++)
            Assert.True(BitConverter.SingleToUInt32Bits(expected[r]) == BitConverter.SingleToUInt32Bits(rowSums[r]),
                $"seed {seed}, {mode}, row {r}: row lanes {rowSums[r]:R}, stage {expected[r]:R}");
    }

    [Theory]
    [InlineData(PvAccumulation.Fp32)]
    [InlineData(PvAccumulation.Fp32TwoLevel)]
    [InlineData(PvAccumulation.Fp16TwoLevel)]
    public void AllCodesAtTheMaximumSumTo57344(PvAccumulation mode)
    {
        Assert.True(KernelTiling.KeyTileTokens * 448.0 <= 65504); // the FP16 bound of spec §8 for the row-sum column
        var codes = Enumerable.Repeat(P448, KernelTiling.KeyTileTokens).ToArray();
        Assert.Equal(57344f, RowSumColumn.Update(Models.For(mode), codes, 1f, 0f));
        Assert.Equal(57344f, RowSumColumn.Update(Models.For(mode), codes, 0f, 1e30f)); // first tile: rescale 0 drops any l
        // A second flat tile without a new maximum adds exactly (57344 + 57344 is exact in fp32 and in the FP32 accumulator).
        Assert.Equal(114688f, RowSumColumn.Update(Models.For(mode), codes, 1f, 57344f));
    }

    /// <summary>
    /// A large running l and a tile of small P: the tile's column (128 · 1.0, exact from +0) joins l in one fma, so l keeps
    /// it to the last bit in every mode. With l as the MMA's C (the former Fp32 rule) each k-step would align the terms
    /// 1.0 to 2^20 and truncate them away, and l would stay 2^20 (spec §8).
    /// </summary>
    [Theory]
    [InlineData(PvAccumulation.Fp32)]
    [InlineData(PvAccumulation.Fp32TwoLevel)]
    [InlineData(PvAccumulation.Fp16TwoLevel)]
    public void ALongSumKeepsTheLowBitsOfEveryTile(PvAccumulation mode)
    {
        var ones = Enumerable.Repeat(RowSumColumn.One, KernelTiling.KeyTileTokens).ToArray();
        float l = 1 << 20;
        for (int tile = 1; tile <= 64; tile++)
        {
            l = RowSumColumn.Update(Models.For(mode), ones, 1f, l);
            Assert.Equal((1 << 20) + tile * 128f, l);
        }
    }

    [Fact]
    public void TheOnesColumnIsE4M3One()
    {
        Assert.Equal(0x38, RowSumColumn.One);
        Assert.Equal(1f, Fp8E4M3.Decode(RowSumColumn.One));
        Assert.Equal(RowSumColumn.One, Ptx.CvtRnSatfiniteE4M3(1f));
    }

    /// <summary>
    /// Causal with Nq = 200 &gt; Nk = 50: rows 0..149 see no key. In the second query tile (rows 128..199) rows 128..149
    /// keep l = +0 exactly (output +0, LSE −∞), rows 150..199 see at least one key at P ≈ 448.
    /// </summary>
    [Theory]
    [InlineData(PvAccumulation.Fp32)]
    [InlineData(PvAccumulation.Fp32TwoLevel)]
    [InlineData(PvAccumulation.Fp16TwoLevel)]
    public void RowsWithoutAVisibleKeyKeepAZeroRowSum(PvAccumulation mode)
    {
        const int nq = 200, nk = 50, d = 64;
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, nq, nk, d), causal: true, returnLse: true);
        var rnd = new Random(7);
        float[] Fill(int n) { var x = new float[n * d]; for (int i = 0; i < x.Length; i++) x[i] = (float)(rnd.NextDouble() - 0.5); return x; }
        var (q, k, v) = (HostTensor.FromSingle(Fill(nq), 1, 1, nq, d), HostTensor.FromSingle(Fill(nk), 1, 1, nk, d), HostTensor.FromSingle(Fill(nk), 1, 1, nk, d));
        var options = new SageOptions { PvAccumulation = mode, OutputType = ElementType.Float32 };
        var trace = RandomAttentionCase.Emulator.Trace(problem, q, k, v, options, new TraceSelection(0, 0, 1));
        Assert.Single(trace.KeyTiles);
        Assert.Equal(nq - 128, trace.RowSums.Length);
        for (int r = 0; r < trace.Rows; r++)
        {
            float l = trace.RowSums[r];
            Assert.Equal(BitConverter.SingleToUInt32Bits(trace.KeyTiles[0].RowSumAfter[r]), BitConverter.SingleToUInt32Bits(l));
            if (128 + r < nq - nk)
            {
                Assert.True(BitConverter.SingleToUInt32Bits(l) == 0, $"row {128 + r}: l = {l:R}, expected +0");
                Assert.True(float.IsNegativeInfinity(trace.Lse[r]), $"row {128 + r}: LSE {trace.Lse[r]}");
                Assert.All(trace.Output.AsSpan(r * d, d).ToArray(), o => Assert.Equal(0u, BitConverter.SingleToUInt32Bits(o)));
            }
            else Assert.True(l >= 256f, $"row {128 + r}: l = {l}, expected a visible key near P = 448");
        }
    }

    /// <summary>The emulator's l after every traced tile follows the rule from the trace's own codes and rescale factors.</summary>
    [Property(MaxTest = 40)]
    public void TraceFollowsTheRuleTileByTile(int seed)
    {
        var c = RandomAttentionCase.From(seed, maxLength: 300);
        var shape = c.Problem.Shape;
        var rnd = new Random(seed);
        var sel = new TraceSelection(rnd.Next(shape.Batch), rnd.Next(shape.QueryHeads), rnd.Next(KernelTiling.TileCount(shape.QueryLength, 128)));
        var trace = RandomAttentionCase.Emulator.Trace(c.Problem, c.Q, c.K, c.V, c.Options, sel);
        var mode = c.Options.PvAccumulation;
        var l = new float[trace.Rows];
        foreach (var tile in trace.KeyTiles)
            for (int r = 0; r < trace.Rows; r++)
            {
                l[r] = Expected(mode, tile.ProbabilityCodes.AsSpan(r * 128, 128), tile.Rescale[r], l[r]);
                Assert.True(BitConverter.SingleToUInt32Bits(l[r]) == BitConverter.SingleToUInt32Bits(tile.RowSumAfter[r]),
                    $"{c}: tile {tile.KeyTile}, row {r}: trace {tile.RowSumAfter[r]:R}, rule {l[r]:R}");
            }
        Assert.Equal(l.Select(BitConverter.SingleToUInt32Bits), trace.RowSums.Select(BitConverter.SingleToUInt32Bits));
    }
}
