using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Sage.Cuda;
using Sage.Cuda.Preprocessing;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// Host-side logic of the fused pre-processing (preprocess_fused.cu, GpuPreprocessor) and of the pool retention that need
/// no GPU: launch geometry, the environment switches, the V-scale identity the fused path relies on, and the V code
/// word layout (a C# mirror of the kernel's index arithmetic; the GPU bit-exact tests check the kernel itself).
/// </summary>
public class FusedPreprocessTests
{
    [Property(MaxTest = 300)]
    public bool Geometry_covers_every_tile_and_block_exactly(PositiveInt batch, PositiveInt kvHeads, PositiveInt group, NonNegativeInt nq, NonNegativeInt nk, bool d128)
    {
        int b = 1 + batch.Get % 4, hk = 1 + kvHeads.Get % 8, hq = hk * (1 + group.Get % 4);
        int queryLength = nq.Get % 5000, keyLength = nk.Get % 5000, d = d128 ? 128 : 64;
        var shape = new AttentionShape(b, hq, hk, queryLength, keyLength, d);
        var g = FusedPreprocessGeometry.Of(shape);
        int tiles = (keyLength + 127) / 128;
        long items = (long)b * hk * tiles * (d / 8);
        return g.TilesPerHead == tiles
            && g.StatsItems == items
            && (long)g.StatsBlocks * FusedPreprocessGeometry.Threads >= items
            && ((long)g.StatsBlocks - 1) * FusedPreprocessGeometry.Threads < Math.Max(items, 1)
            && g.PartialsPerArray == g.StatsItems * 8 // the kernel derives the partial arrays' stride from statsItems · 8
            && g.QueryBlocksPerHead == (queryLength + 127) / 128 * 2
            && g.QueryBlocksPerHead % FusedPreprocessGeometry.QueryBlocksPerCta(ElementType.Float16) == 0 // a CTA's Q blocks share a head
            && g.QueryBlocks == b * hq * g.QueryBlocksPerHead
            && g.KeyTiles == b * hk * tiles
            && g.OnePassValueBlocks == b * hk * (d / 8)
            && g.CodeBlocks(onePassValues: false) == 2 * g.KeyTiles
            && g.CodeBlocks(onePassValues: true) == g.KeyTiles + b * hk * (d / 8);
    }

    [Fact]
    public void Launch_three_beyond_32_bit_block_indices_is_refused_even_when_only_v_in_one_pass_exceeds_them()
    {
        // 2^27 key/value heads of one token: 2^28 blocks with V in two passes, but 2^27 · 17 > 2^31 − 1 with V in one pass.
        var shape = new AttentionShape(1 << 20, 128, 128, 1, 1, 128);
        var e = Assert.Throws<NotSupportedException>(() => FusedPreprocessGeometry.Of(shape));
        Assert.Contains("in the last", e.Message);
        Assert.Contains((134217728L * 17).ToString(), e.Message);
    }

    [Property(MaxTest = 200)]
    public bool Split_statistics_take_half_the_items_per_cta(PositiveInt batch, PositiveInt kvHeads, NonNegativeInt nk, bool d128)
    {
        var shape = new AttentionShape(1 + batch.Get % 4, 1 + kvHeads.Get % 8, 1 + kvHeads.Get % 8, 64, nk.Get % 5000, d128 ? 128 : 64);
        var joint = FusedPreprocessGeometry.Of(shape);
        var split = FusedPreprocessGeometry.Of(shape, splitStatistics: true);
        long items = split.StatsItems;
        return joint.StatsItemsPerCta == FusedPreprocessGeometry.Threads
            && split.StatsItemsPerCta == FusedPreprocessGeometry.Threads / 2
            && split.StatsItems == joint.StatsItems
            && (long)split.StatsBlocks * split.StatsItemsPerCta >= items
            && ((long)split.StatsBlocks - 1) * split.StatsItemsPerCta < Math.Max(items, 1)
            && split.QueryBlocks == joint.QueryBlocks && split.KeyTiles == joint.KeyTiles;
    }

    [Theory]
    [InlineData(null, "Auto")]
    [InlineData("", "Auto")]
    [InlineData("auto", "Auto")]
    [InlineData("two-pass", "Two")]
    [InlineData("one-pass", "One")]
    public void Value_passes_switch(string? value, string expected) => Assert.Equal(expected, GpuPreprocessor.ValuePassesSelected(value).ToString());

    [Fact]
    public void Unknown_value_passes_setting_names_the_variable()
    {
        var e = Assert.Throws<ArgumentException>(() => GpuPreprocessor.ValuePassesSelected("once"));
        Assert.Contains(GpuPreprocessor.ValuePassesEnvironmentVariable, e.Message);
        Assert.Contains("once", e.Message);
    }

    [Theory]
    [InlineData("Auto", 128, true)]
    [InlineData("Auto", 64, false)] // d = 64 keeps two passes by default
    [InlineData("One", 64, true)]
    [InlineData("Two", 128, false)]
    public void Value_pass_choice_by_head_dim(string choice, int headDim, bool once) =>
        Assert.Equal(once, GpuPreprocessor.ReadsValuesOnce(Enum.Parse<GpuPreprocessor.ValuePasses>(choice),
            new AttentionShape(2, 4, 4, 64, 2048, headDim), new SageOptions(), ElementType.Float16));

    [Theory]
    [InlineData(2048, 128, true, false, ElementType.Float16, true)]
    [InlineData(1, 64, true, false, ElementType.BFloat16, true)]
    [InlineData(2049, 128, true, false, ElementType.Float16, false)] // 2176 padded tokens: past the registers' reach
    [InlineData(2048, 128, false, false, ElementType.Float16, false)] // no K statistics CTA to finish the K means
    [InlineData(2048, 128, true, true, ElementType.Float16, false)]  // SmoothV: ordered V sums
    [InlineData(2048, 128, true, false, ElementType.Float32, false)]
    [InlineData(0, 128, true, false, ElementType.Float16, false)]
    public void One_pass_values_apply_where_expected(int length, int headDim, bool smoothK, bool smoothV, ElementType type, bool expected) =>
        Assert.Equal(expected, GpuPreprocessor.OnePassValuesApply(new AttentionShape(2, 4, 4, 64, length, headDim),
            new SageOptions { SmoothK = smoothK, SmoothV = smoothV }, type));

    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("joint", false)]
    [InlineData("split", true)]
    public void Statistics_switch(string? value, bool split) => Assert.Equal(split, GpuPreprocessor.SplitStatisticsSelected(value));

    [Fact]
    public void Unknown_statistics_setting_names_the_variable()
    {
        var e = Assert.Throws<ArgumentException>(() => GpuPreprocessor.SplitStatisticsSelected("halves"));
        Assert.Contains(GpuPreprocessor.StatisticsEnvironmentVariable, e.Message);
        Assert.Contains("halves", e.Message);
    }

    [Fact]
    public void Geometry_of_the_benchmark_shape()
    {
        var g = FusedPreprocessGeometry.Of(new AttentionShape(4, 32, 32, 16384, 16384, 128));
        Assert.Equal(128, g.TilesPerHead);
        Assert.Equal(4L * 32 * 128 * 16, g.StatsItems);
        Assert.Equal(1024, g.StatsBlocks);
        Assert.Equal(4 * 32 * 256, g.QueryBlocks);
        Assert.Equal(4 * 32 * 128, g.KeyTiles);
        Assert.Equal(1024 + 4 * 32 * 256 / 2, g.FirstLaunchBlocks(ElementType.Float16, quantizeQueries: true));
        Assert.Equal(1024 + 4 * 32 * 256 / 2, g.FirstLaunchBlocks(ElementType.BFloat16, quantizeQueries: true));
        Assert.Equal(1024 + 4 * 32 * 256, g.FirstLaunchBlocks(ElementType.Float32, quantizeQueries: true));
        Assert.Equal(1024, g.FirstLaunchBlocks(ElementType.Float16, quantizeQueries: false));
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("1", true)]
    [InlineData("yes", true)]
    [InlineData("0", false)]
    [InlineData(" 0 ", false)]
    public void Pool_retention_is_on_unless_the_variable_is_zero(string? value, bool expected) =>
        Assert.Equal(expected, PoolRetention.IsRequested(value));

    [Theory]
    [InlineData(null, GpuPreprocessor.DefaultPath)]
    [InlineData("", GpuPreprocessor.DefaultPath)]
    [InlineData("fused", PreprocessPath.ThreeLaunches)]
    [InlineData("separate", PreprocessPath.Separate)]
    public void Preprocess_path_switch(string? value, PreprocessPath expected) => Assert.Equal(expected, GpuPreprocessor.SelectedPath(value));

    [Fact]
    public void Unknown_preprocess_path_names_the_variable()
    {
        var e = Assert.Throws<ArgumentException>(() => GpuPreprocessor.SelectedPath("fast"));
        Assert.Contains(GpuPreprocessor.PathEnvironmentVariable, e.Message);
        Assert.Contains("fast", e.Message);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("first", false)]
    [InlineData("launch", true)]
    public void Finish_switch(string? value, bool launch) => Assert.Equal(launch, GpuPreprocessor.FinishLaunchSelected(value));

    [Fact]
    public void Unknown_finish_setting_names_the_variable()
    {
        var e = Assert.Throws<ArgumentException>(() => GpuPreprocessor.FinishLaunchSelected("late"));
        Assert.Contains(GpuPreprocessor.FinishEnvironmentVariable, e.Message);
        Assert.Contains("late", e.Message);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("1", true)]
    [InlineData("0", false)]
    public void Dependent_codes_switch(string? value, bool dependent) => Assert.Equal(dependent, GpuPreprocessor.DependentCodesSelected(value));

    [Fact]
    public void Unknown_dependent_codes_setting_names_the_variable()
    {
        var e = Assert.Throws<ArgumentException>(() => GpuPreprocessor.DependentCodesSelected("yes"));
        Assert.Contains(GpuPreprocessor.DependentCodesEnvironmentVariable, e.Message);
        Assert.Contains("yes", e.Message);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("", true)]
    [InlineData("1", true)]
    [InlineData("0", false)]
    public void Queries_in_ring_switch(string? value, bool inRing) => Assert.Equal(inRing, GpuPreprocessor.QueriesInRingSelected(value));

    [Fact]
    public void Unknown_ring_query_setting_names_its_variable()
    {
        var e = Assert.Throws<ArgumentException>(() => GpuPreprocessor.QueriesInRingSelected("yes"));
        Assert.Contains(GpuPreprocessor.QueriesInRingEnvironmentVariable, e.Message);
        Assert.Contains("yes", e.Message);
    }

    [Theory]
    [InlineData(TensorLayout.HND, 1, 2, 128, 0, true)]   // 256 rows of [B·Hq·Nq]
    [InlineData(TensorLayout.HND, 1, 1, 255, 0, false)]  // a box of 128 rows needs the map to hold 256 (as the ring's K and V maps)
    [InlineData(TensorLayout.NHD, 2, 8, 128, 0, true)]   // NHD counts B·Nq tokens along the box
    [InlineData(TensorLayout.NHD, 1, 8, 200, 0, false)]
    [InlineData(TensorLayout.HND, 4, 32, 2048, 8, false)] // Q not 16-byte aligned
    public void Ring_queries_apply_to_copy_engine_sized_aligned_queries(TensorLayout layout, int batch, int heads, int length, int offset, bool applies)
    {
        var problem = new AttentionProblem(new AttentionShape(batch, heads, heads, length, length, 128), layout, causal: false);
        var q = new DeviceTensor(0x10000UL + (ulong)offset, (long)batch * heads * length * 128, ElementType.Float16);
        Assert.Equal(applies, GpuPreprocessor.RingQueriesApply(problem, q));
    }

    /// <summary>
    /// preprocess_finish forms amax_t |fl(V[t] − m)| from the tile minima and maxima alone: x ↦ fl(x − m) is monotone, so
    /// the largest magnitude sits at fl(min − m) or fl(max − m). Checked bit for bit on random data, means near the data
    /// (where cancellation and signed zeros happen) and far from it.
    /// </summary>
    [Property(MaxTest = 2000)]
    public bool Amax_of_the_smoothed_values_comes_from_the_extremes(int seed, byte scaleExponent, bool meanFromData)
    {
        var random = new Random(seed);
        int n = 1 + random.Next(300);
        float scale = MathF.ScaleB(1f, scaleExponent % 60 - 30);
        var x = new float[n];
        for (int i = 0; i < n; i++)
            x[i] = random.Next(8) == 0 ? (random.Next(2) == 0 ? 0f : -0f) : (float)((random.NextDouble() * 2 - 1) * scale);
        float m = meanFromData ? x[random.Next(n)] : (float)((random.NextDouble() * 2 - 1) * scale * 4);
        float direct = 0f;
        foreach (float v in x) direct = MathF.Max(direct, MathF.Abs(v - m));
        float lo = x.Min(), hi = x.Max();
        float fromExtremes = MathF.Max(0f, MathF.Max(MathF.Abs(hi - m), MathF.Abs(lo - m)));
        return BitConverter.SingleToUInt32Bits(direct) == BitConverter.SingleToUInt32Bits(fromExtremes);
    }

    /// <summary>value_swizzle of preprocess_fused.cu.</summary>
    private static int Swizzle(int d, int c) => d == 128 ? ((c >> 3) & 15) << 1 : ((c >> 3) & 7) << 2;

    [Theory]
    [InlineData(64)]
    [InlineData(128)]
    public void V_code_words_land_on_distinct_slots_and_read_back_in_token_order(int d)
    {
        // Store side: unit (g, quad, channel chunk) writes word 4g + quad of channel c at c·32 + ((4g + quad) ^ swizzle(c)).
        var slotOwner = new (int C, int Word)?[d * 32];
        for (int c = 0; c < d; c++)
            for (int w = 0; w < 32; w++)
            {
                int slot = c * 32 + (w ^ Swizzle(d, c));
                Assert.Null(slotOwner[slot]);
                slotOwner[slot] = (c, w);
            }
        // Read side: part p of channel c reads the 16-byte slot quad p ^ (swizzle >> 2) and swaps halves when swizzle & 2.
        for (int c = 0; c < d; c++)
            for (int p = 0; p < 8; p++)
            {
                int sw = Swizzle(d, c);
                int quad = c * 32 + 4 * (p ^ (sw >> 2));
                var words = Enumerable.Range(0, 4).Select(j => slotOwner[quad + j]!.Value).ToArray();
                if ((sw & 2) != 0) words = [words[2], words[3], words[0], words[1]];
                for (int j = 0; j < 4; j++) Assert.Equal((c, 4 * p + j), words[j]);
            }
        // Each word's four bytes: tokens 16g + {2t, 2t+1, 2t+8, 2t+9} at positions 16g + 4t + {0,1,2,3} = ValueCodePosition.
        for (int g = 0; g < 8; g++)
            for (int t = 0; t < 4; t++)
                for (int m = 0; m < 4; m++)
                    Assert.Equal(16 * g + 4 * t + m, PreprocessLayout.ValueCodePosition(16 * g + 2 * t + (m & 1) + 8 * (m >> 1)));
    }

    [Theory]
    [InlineData(64)]
    [InlineData(128)]
    public void V_code_word_stores_of_a_warp_hit_32_distinct_banks(int d)
    {
        int cpr = d / 8, units = 8 * 4 * cpr;
        for (int warpBase = 0; warpBase < units; warpBase += 32)
            for (int j = 0; j < 8; j++)
            {
                var banks = new HashSet<int>();
                for (int lane = 0; lane < 32; lane++)
                {
                    int u = warpBase + lane;
                    int cc = u % cpr, quad = u / cpr % 4, g = u / (4 * cpr), c = cc * 8 + j;
                    banks.Add((c * 32 + ((4 * g + quad) ^ Swizzle(d, c))) % 32);
                }
                Assert.Equal(32, banks.Count);
            }
    }
}
