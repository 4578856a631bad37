namespace Sage.Property.Tests.Cuda;

/// <summary>
/// quotient_bracket of Kernels/Preprocess/quantize_codes.cuh in binary32 (round to nearest even, as the kernel's _rn
/// intrinsics): r = 1 ⊘ scale, lo = r ⊗ (1 − 2^-20), hi = r ⊗ (1 + 2^-20) where r is a finite normal number ≥ 2^-125,
/// else [0, +∞]. The INT8/INT4 codes use it through fmas, the E4M3 V codes through products.
/// </summary>
internal static class QuotientBracketMirror
{
    private const float Below = 0.99999904632568359375f; // 1 − 2^-20
    private const float Above = 1.00000095367431640625f; // 1 + 2^-20

    public static (float Lo, float Hi) Of(float scale)
    {
        float r = 1f / scale;
        bool normal = r >= MathF.ScaleB(1f, -125) && r <= float.MaxValue;
        return normal ? (r * Below, r * Above) : (0f, float.PositiveInfinity);
    }
}
