namespace Sage;

/// <summary>Integer format Q and K are quantised to before the Q·Kᵀ product.</summary>
public enum QkFormat
{
    /// <summary>INT8, scale = max|x| / 127 per group, `cvt.rni.sat.s8.f32`.</summary>
    Int8,

    /// <summary>INT4, scale = max|x| / 7 per group (mma.sync s4 on the GPU).</summary>
    Int4,
}
