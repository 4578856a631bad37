using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Sage.Cuda.Preprocessing;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// The chunked fused pre-processing (PreprocessChunking, FusedPreprocessGeometry.Chunk): the chunks cover every key/value
/// head once and in order, respect the byte budget and the chunk cap, and their launch offsets tile the whole problem's
/// items, Q blocks and K/V tiles without gap or overlap (the kernels index every buffer globally from these offsets).
/// The GPU bit-exact tests run the chunked kernels themselves.
/// </summary>
public class PreprocessChunkingTests
{
    [Property(MaxTest = 500)]
    public bool Plan_covers_every_head_once_within_the_budget(PositiveInt heads, NonNegativeInt perHead, NonNegativeInt budget)
    {
        long h = heads.Get % 300, bytesPerHead = perHead.Get % 5000, chunkBytes = budget.Get % 40000;
        var plan = PreprocessChunking.Plan(h, bytesPerHead, chunkBytes);
        long next = 0;
        foreach (var (first, count) in plan)
        {
            if (first != next || count < 0) return false;
            next += count;
        }
        bool covers = next == h && plan.Count >= 1 && plan.Count <= PreprocessChunking.MaxChunks;
        bool single = plan.Count == 1;
        // Several chunks only when each fits the budget (a head larger than the budget is one chunk by itself).
        bool withinBudget = single || plan.All(c => c.Heads * bytesPerHead <= Math.Max(chunkBytes, bytesPerHead));
        // No chunks at all when chunking is off or pointless.
        bool offWhenAsked = !(chunkBytes == 0 || bytesPerHead == 0 || h <= 1) || single;
        return covers && withinBudget && offWhenAsked;
    }

    [Fact]
    public void Benchmark_shape_at_2K_splits_into_equal_chunks()
    {
        // B = 4, Hkv = 32, N = 2048, d = 128, FP16: 1 MiB of K and V per head, 128 heads.
        long perHead = 2L * 2048 * 128 * 2;
        var plan = PreprocessChunking.Plan(128, perHead, 16L << 20);
        Assert.Equal(8, plan.Count);
        Assert.All(plan, c => Assert.Equal(16, c.Heads));
        // 8 MiB per chunk would need 16 chunks, past the cap: one chunk.
        Assert.Single(PreprocessChunking.Plan(128, perHead, 8L << 20));
        Assert.Single(PreprocessChunking.Plan(128, perHead, 0));
    }

    [Property(MaxTest = 300)]
    public bool Chunk_offsets_tile_the_whole_problem(PositiveInt batch, PositiveInt kvHeads, PositiveInt group, NonNegativeInt nq,
        NonNegativeInt nk, bool d128, PositiveInt chunkHeads)
    {
        int b = 1 + batch.Get % 3, hk = 1 + kvHeads.Get % 6, hq = hk * (1 + group.Get % 4);
        var shape = new AttentionShape(b, hq, hk, nq.Get % 3000, nk.Get % 3000, d128 ? 128 : 64);
        var g = FusedPreprocessGeometry.Of(shape);
        long per = 1 + chunkHeads.Get % (b * hk);
        long item = 0; int block = 0, tile = 0;
        for (long first = 0; first < g.KeyValueHeads; first += per)
        {
            var c = g.Chunk(first, Math.Min(per, g.KeyValueHeads - first));
            if (c.FirstItem != item || c.FirstQueryBlock != block || c.FirstTile != tile) return false;
            if ((long)c.StatsBlocks * FusedPreprocessGeometry.Threads < c.StatsItems) return false;
            item += c.StatsItems; block += c.QueryBlocks; tile += c.KeyTiles;
        }
        var whole = g.Chunk(0, g.KeyValueHeads);
        return item == g.StatsItems && block == g.QueryBlocks && tile == g.KeyTiles
            && whole.StatsBlocks == g.StatsBlocks && whole.QueryBlocks == g.QueryBlocks && whole.KeyTiles == g.KeyTiles;
    }

    [Fact]
    public void Chunk_outside_the_problem_names_the_range()
    {
        var g = FusedPreprocessGeometry.Of(new AttentionShape(2, 4, 2, 100, 100, 64));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => g.Chunk(3, 2));
        Assert.Contains("[3, 5)", e.Message);
        Assert.Contains("[0, 4)", e.Message);
    }

    [Theory]
    [InlineData(null, PreprocessChunking.DefaultChunkBytes)]
    [InlineData("", PreprocessChunking.DefaultChunkBytes)]
    [InlineData("0", 0L)]
    [InlineData("16", 16L << 20)]
    public void Chunk_size_switch(string? value, long expected) => Assert.Equal(expected, PreprocessChunking.SelectedChunkBytes(value));

    [Theory]
    [InlineData("-1")]
    [InlineData("16MB")]
    [InlineData("99999999999999999")]
    public void Bad_chunk_size_names_the_variable_and_value(string value)
    {
        var e = Assert.Throws<ArgumentException>(() => PreprocessChunking.SelectedChunkBytes(value));
        Assert.Contains(PreprocessChunking.EnvironmentVariable, e.Message);
        Assert.Contains(value, e.Message);
    }
}
