using System.Runtime.CompilerServices;

namespace Sage.Emulation.SpecialFunctions;

/// <summary>
/// The 2^x our CUDA kernel computes, instead of the unspecified `ex2.approx.ftz.f32`: a specified algorithm
/// that this C# twin reproduces bit for bit (see docs/tensor-core-numerics.md, "exp2"):
/// <list type="number">
/// <item>NaN → NaN (the input returned); x is clamped to [−200, 128];</item>
/// <item>n = rint(x) (round half to even, `cvt.rni`), f = x − n (exact, |f| ≤ 0.5);</item>
/// <item>p = degree-6 polynomial in f by Horner's rule with fused multiply-adds (`fma.rn.f32`), coefficients
/// <see cref="Coefficients"/> (float32), p ≈ 2^f ∈ [0.70, 1.42];</item>
/// <item>the result is p·2^n by adding n to p's exponent field; a result below 2^−126 is flushed to +0 (ftz),
/// one at or above 2^128 is +inf.</item>
/// </list>
/// The CUDA source is src/Sage.Cuda/Kernels/Probes/kernel_exp2.cuh.
/// </summary>
public static class KernelExp2
{
    /// <summary>c0..c6 of the polynomial (c0 first). Taylor coefficients ln2^k/k! rounded to float32.</summary>
    public static readonly float[] Coefficients =
    [
        1.0f, 0.693147182f, 0.240226507f, 0.0555041097f, 0.00961812865f, 0.00133335581f, 0.000154035297f,
    ];

    private static readonly float C0 = Coefficients[0], C1 = Coefficients[1], C2 = Coefficients[2], C3 = Coefficients[3],
        C4 = Coefficients[4], C5 = Coefficients[5], C6 = Coefficients[6];

    /// <summary>2^x as the kernel computes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Evaluate(float x)
    {
        if (float.IsNaN(x)) return x;
        x = Math.Min(Math.Max(x, -200f), 128f);
        float n = MathF.Round(x, MidpointRounding.ToEven);
        float f = x - n;
        float p = C6;
        p = MathF.FusedMultiplyAdd(p, f, C5);
        p = MathF.FusedMultiplyAdd(p, f, C4);
        p = MathF.FusedMultiplyAdd(p, f, C3);
        p = MathF.FusedMultiplyAdd(p, f, C2);
        p = MathF.FusedMultiplyAdd(p, f, C1);
        p = MathF.FusedMultiplyAdd(p, f, C0);
        int ni = (int)n;
        int bits = BitConverter.SingleToInt32Bits(p);
        int field = (bits >> 23) + ni; // p > 0, so bits >> 23 is the exponent field
        if (field <= 0) return 0f;
        if (field >= 255) return float.PositiveInfinity;
        return BitConverter.Int32BitsToSingle(bits + (ni << 23));
    }
}
