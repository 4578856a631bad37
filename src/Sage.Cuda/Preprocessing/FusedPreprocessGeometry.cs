namespace Sage.Cuda.Preprocessing;

/// <summary>
/// Launch shapes and scratch size of the fused pre-processing (Kernels/Preprocess/preprocess_fused.cu), derived from
/// the problem alone so that the host can size everything before queuing anything:
/// launch 1 = <see cref="StatsBlocks"/> statistics blocks (one thread per key/value head, 128-token tile and 8
/// channels; with the split statistics two, one for K and one for V) followed by <see cref="QueryBlocks"/> Q blocks (one per 64-row block, <see cref="QueryBlocksPerCta"/> per
/// CTA); launch 2 = one block of d threads per key/value head, only for Nk = 0 or SAGE_PREPROCESS_FINISH=launch (otherwise
/// launch 1's statistics CTAs finish each head); launch 3 = <see cref="KeyTiles"/> K tiles then as many V tiles, or with V
/// in one pass <see cref="OnePassValueBlocks"/> (<see cref="CodeBlocks"/>).
/// </summary>
internal readonly record struct FusedPreprocessGeometry
{
    public const int Threads = 256; // SAGE_THREADS
    public const int ChannelsPerThread = 8;

    /// <summary>Number of (batch, key/value head) pairs.</summary>
    public long KeyValueHeads { get; init; }

    /// <summary>128-token tiles per key/value head.</summary>
    public int TilesPerHead { get; init; }

    /// <summary>Threads of the statistics part of launch 1: BHkv · tiles · d/8.</summary>
    public long StatsItems { get; init; }

    public int StatsBlocks { get; init; }

    /// <summary>
    /// Items per statistics CTA: <see cref="Threads"/>, or half of them with the split statistics (warps 0-3 take the
    /// items' K sums, warps 4-7 their V statistics; GpuPreprocessor.SplitStatistics).
    /// </summary>
    public int StatsItemsPerCta { get; init; }

    /// <summary>64-row Q blocks per query head: PaddedQueryLength / 64.</summary>
    public int QueryBlocksPerHead { get; init; }

    /// <summary>All Q blocks: B · Hq · <see cref="QueryBlocksPerHead"/>.</summary>
    public int QueryBlocks { get; init; }

    /// <summary>K tiles of launch 3 (the V tiles follow): BHkv · tiles.</summary>
    public int KeyTiles { get; init; }

    /// <summary>V's CTAs of launch 3 with V in one pass (value_onepass): one per key/value head and 8 channels, BHkv · d/8.</summary>
    public int OnePassValueBlocks { get; init; }

    /// <summary>CTAs of launch 3: the K tiles, then the V tiles or, with V in one pass, <see cref="OnePassValueBlocks"/>.</summary>
    public int CodeBlocks(bool onePassValues) => KeyTiles + (onePassValues ? OnePassValueBlocks : KeyTiles);

    /// <summary>Floats in each of the four partial arrays (K sums, V minima, V maxima, V sums): BHkv · tiles · d.</summary>
    public long PartialsPerArray { get; init; }

    public long PartialsTotal => 4 * PartialsPerArray;

    /// <summary>
    /// 64-row Q blocks per CTA of launch 1 (SAGE_QUERY_BLOCKS_PER_CTA of preprocess_fused.cu): two for 16-bit inputs, whose
    /// rows then all load before any is used; one for FP32, whose rows take twice the registers. Blocks per head are even,
    /// so a CTA's blocks share a head.
    /// </summary>
    public static int QueryBlocksPerCta(ElementType inputType) => inputType == ElementType.Float32 ? 1 : 2;

    /// <summary>CTAs of launch 1: the statistics blocks, then the Q blocks <see cref="QueryBlocksPerCta"/> at a time.</summary>
    public int FirstLaunchBlocks(ElementType inputType, bool quantizeQueries) =>
        StatsBlocks + (quantizeQueries ? QueryBlocks / QueryBlocksPerCta(inputType) : 0);

    public static FusedPreprocessGeometry Of(AttentionShape shape, bool splitStatistics = false)
    {
        long bhk = (long)shape.Batch * shape.KeyValueHeads;
        int tiles = PreprocessLayout.KeyTiles(shape.KeyLength);
        long items = bhk * tiles * (shape.HeadDim / ChannelsPerThread);
        int perCta = splitStatistics ? Threads / 2 : Threads;
        long statsBlocks = (items + perCta - 1) / perCta;
        int blocksPerHead = PreprocessLayout.PaddedQueryLength(shape.QueryLength) / PreprocessLayout.QueryBlockRows;
        long queryBlocks = (long)shape.Batch * shape.QueryHeads * blocksPerHead;
        long keyTiles = bhk * tiles, onePassValueBlocks = bhk * (shape.HeadDim / ChannelsPerThread);
        // The kernels index blocks with 32-bit ints; launch 3 has 2 · keyTiles blocks, or keyTiles + onePassValueBlocks.
        long codeBlocks = keyTiles + Math.Max(keyTiles, onePassValueBlocks);
        if (statsBlocks + queryBlocks > int.MaxValue || codeBlocks > int.MaxValue)
            throw new NotSupportedException(
                $"{shape}: {statsBlocks + queryBlocks} blocks in the first pre-processing launch and up to {codeBlocks} in the last; " +
                $"at most {int.MaxValue} each.");
        return new FusedPreprocessGeometry
        {
            KeyValueHeads = bhk,
            TilesPerHead = tiles,
            StatsItems = items,
            StatsBlocks = (int)statsBlocks,
            StatsItemsPerCta = perCta,
            QueryBlocksPerHead = blocksPerHead,
            QueryBlocks = (int)queryBlocks,
            KeyTiles = (int)keyTiles,
            OnePassValueBlocks = (int)onePassValueBlocks,
            PartialsPerArray = bhk * tiles * shape.HeadDim,
        };
    }
}
