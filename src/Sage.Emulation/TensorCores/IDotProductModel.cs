namespace Sage.Emulation.TensorCores;

/// <summary>Input operand format of a tensor-core instruction.</summary>
public enum MmaInputFormat { E4M3, E5M2, Int8, Int4 }

/// <summary>Accumulator format of a tensor-core instruction.</summary>
public enum MmaAccumulator { Fp32, Fp16, Int32 }

/// <summary>
/// What one tensor-core instruction does to one output element: D = A·B + C over its K products,
/// with the hardware's own alignment, truncation and rounding (PTX leaves them unspecified).
/// A chain of k-steps is successive calls, each taking the previous result as C.
/// </summary>
public interface IDotProductModel
{
    /// <summary>Variant name, e.g. "wgmma.e4m3.f32" (used by `sage tc dot --variant`).</summary>
    string Name { get; }

    MmaInputFormat Input { get; }
    MmaAccumulator Accumulator { get; }

    /// <summary>Products per instruction per output element (32 for FP8 wgmma/mma.m16n8k32).</summary>
    int K { get; }

    /// <summary>True when a device run compared this model bit for bit with the hardware (see docs/tensor-core-numerics.md).</summary>
    bool VerifiedOnHardware { get; }

    /// <summary>One line saying how the model was derived and on which card.</summary>
    string Provenance { get; }

    /// <summary>
    /// D = Σ a[i]·b[i] + c as the instruction computes it. <paramref name="a"/> and <paramref name="b"/> hold exactly
    /// <see cref="K"/> values, each exactly representable in <see cref="Input"/>; <paramref name="c"/> is exactly
    /// representable in the accumulator format (FP16 values widened to float; Int32 as a float holding an integer is
    /// not used: integer variants go through <see cref="DotInt32"/>). Returns the accumulator, FP16 widened exactly.
    /// </summary>
    float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float c);

    /// <summary>Integer variants: Σ a[i]·b[i] + c in 32-bit two's complement (wrapping). Others throw NotSupportedException.</summary>
    int DotInt32(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b, int c);
}
