namespace Sage;

/// <summary>Which Q rows / K tokens share one quantisation scale (see docs/kernel-spec.md).</summary>
public enum QuantGranularity
{
    /// <summary>One scale per Q tile / K tile of the kernel.</summary>
    PerBlock,

    /// <summary>One scale per warp's slice of the Q tile; K as per block.</summary>
    PerWarp,

    /// <summary>One scale per group of rows/tokens that a single thread holds in the MMA fragment.</summary>
    PerThread,
}
