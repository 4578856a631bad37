using FsCheck;
using FsCheck.Fluent;
using Sage.Emulation;
using Sage.Emulation.Planning;
using Sage.Reference;
using Xunit;

namespace Sage.Property.Tests.Planning;

public class SampledEvaluationTests
{
    [Theory]
    [InlineData(false, TensorLayout.HND, 300, 300)]
    [InlineData(true, TensorLayout.NHD, 300, 333)]
    [InlineData(true, TensorLayout.HND, 400, 260)] // more queries than keys: early rows see nothing
    public void SampledRowsAreExactlyThoseOfTheFullRun(bool causal, TensorLayout layout, int queries, int keys)
    {
        var layer = PlannerData.Layer("l", DataFamily.KChannelBias, 21, length: keys, causal: causal, layout: layout,
            queryHeads: 4, keyValueHeads: 2, queryLength: queries);
        var problem = layer.Problem;
        var s = problem.Shape;
        var sample = QueryTileSample.Strided(s.QueryLength, 200); // 2 of the tiles: first and last (partial)
        Assert.Equal([0, sample.TileCount - 1], sample.Tiles);
        var options = new SageOptions { SmoothQ = true, PvAccumulation = PvAccumulation.Fp32TwoLevel };

        var full = new EmulatedAttention().Run(problem, layer.Q, layer.K, layer.V, options).Output.ToSingleArray();
        var exact = new ReferenceAttention().Compute(problem, layer.Q, layer.K, layer.V).Output;
        var sampled = SampledAttention.Emulate(problem, layer.Q, layer.K, layer.V, options, sample, PvModelSet.Measured(), -1);
        var sampledExact = SampledAttention.Reference(problem, layer.Q, layer.K, layer.V, sample);

        int d = s.HeadDim, bh = s.Batch * s.QueryHeads;
        Assert.Equal((long)bh * sample.RowsPerHead * d, sampled.LongLength);
        for (int t = 0; t < sample.Tiles.Count; t++)
        {
            int tile = sample.Tiles[t], rows = sample.RowsOf(tile), q0 = QueryTileSample.FirstRow(tile);
            for (int head = 0; head < s.QueryHeads; head++)
                for (int r = 0; r < rows; r++)
                    for (int c = 0; c < d; c++)
                    {
                        long at = ((long)sample.RowStarts[t] * bh + (long)head * rows + r) * d + c;
                        long original = layout == TensorLayout.HND
                            ? (((long)head * s.QueryLength) + q0 + r) * d + c
                            : (((long)(q0 + r) * s.QueryHeads) + head) * d + c;
                        Assert.Equal(BitConverter.SingleToUInt32Bits(full[original]), BitConverter.SingleToUInt32Bits(sampled[at]));
                        Assert.Equal(exact[original], sampledExact[at], 1e-12);
                    }
        }
    }

    [Fact]
    public void PlanningOnSampledRowsMatchesMetricsOfTheSameRowsAndCountsThem()
    {
        var layer = PlannerData.Layer("l", DataFamily.Gaussian, 22, length: 640);
        var plan = new ModePlanner(AccuracyBudget.Default) { SampledRows = 256 }.PlanLayer(layer);
        Assert.Equal(256, plan.SampledRowsPerHead);
        Assert.Equal(640, plan.QueryLength);
        Assert.All(plan.Measurements, m => Assert.Equal(256L * 2 * 64, m.Compared));
    }

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public FsCheck.Property StridedSamplesAreSpreadDistinctTilesOfTheRequestedCount(PositiveInt length, PositiveInt rows)
    {
        int n = length.Get % 20000 + 1, r = rows.Get % 25000 + 1;
        var sample = QueryTileSample.Strided(n, r);
        int total = (n + 127) / 128, expected = Math.Min(total, (r + 127) / 128);
        var tiles = sample.Tiles;
        bool ascending = tiles.Zip(tiles.Skip(1)).All(p => p.First < p.Second);
        bool ends = tiles[0] == 0 && (tiles.Count < 2 || tiles[^1] == total - 1);
        int rowsSum = tiles.Sum(sample.RowsOf);
        return (tiles.Count == expected && ascending && ends && rowsSum == sample.RowsPerHead && sample.IsComplete == (expected == total))
            .Label($"n={n} rows={r} tiles=[{string.Join(",", tiles)}]");
    }

    [Fact]
    public void NoSampleMeansEveryTile()
    {
        var sample = QueryTileSample.Strided(1000, null);
        Assert.True(sample.IsComplete);
        Assert.Equal(1000, sample.RowsPerHead);
        Assert.Throws<ArgumentOutOfRangeException>(() => QueryTileSample.Strided(1000, 0));
    }
}
