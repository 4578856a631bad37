namespace Sage.Cuda.Preprocessing;

/// <summary>
/// One chunk of the fused pre-processing: the key/value heads [<see cref="FirstHead"/>, <see cref="FirstHead"/> +
/// <see cref="Heads"/>) and their query heads, run as the three launches of preprocess_fused.cu restricted to them.
/// The First* members are the offsets of the chunk's first item in the whole problem's numbering, which the kernels
/// add to their block and thread indices; everything they write is indexed globally.
/// </summary>
internal readonly record struct FusedPreprocessChunk(
    long FirstHead,
    long Heads,
    long FirstItem,
    long StatsItems,
    int StatsBlocks,
    int FirstQueryBlock,
    int QueryBlocks,
    int FirstTile,
    int KeyTiles);
