using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Sage.Numerics;

namespace Sage.Emulation.Epilogue;

/// <summary>
/// The epilogue's output rounding (docs/kernel-spec.md §9 step 5) over a span: FP16 <c>cvt.rn.f16.f32</c>, BF16
/// <c>cvt.rn.bf16.f32</c>, element by element as <see cref="Ptx.CvtRnF16"/> and <see cref="Ptx.CvtRnBf16"/> do.
/// </summary>
public static class OutputRounding
{
    /// <summary>bits[i] = the FP16 or BF16 bits of values[i] (round to nearest even, overflow to ±inf, NaN canonical).</summary>
    public static void Round(ReadOnlySpan<float> values, ElementType type, Span<ushort> bits)
    {
        if (bits.Length < values.Length)
            throw new ArgumentException($"bits holds {bits.Length}; expected ≥ {values.Length}.", nameof(bits));
        if (type == ElementType.Float16)
        {
            // TensorPrimitives' conversion is the same RNE conversion as the (Half) cast that Ptx.CvtRnF16 uses for every
            // non-NaN value (tests/Property/Emulation/OutputRoundingTests); a NaN takes the canonical bits instead.
            TensorPrimitives.ConvertToHalf(values, MemoryMarshal.Cast<ushort, Half>(bits));
            if (TensorPrimitives.IsNaNAny(values))
                for (int c = 0; c < values.Length; c++)
                    if (float.IsNaN(values[c])) bits[c] = Ptx.CvtRnF16(values[c]);
        }
        else if (type == ElementType.BFloat16)
        {
            for (int c = 0; c < values.Length; c++) bits[c] = Ptx.CvtRnBf16(values[c]);
        }
        else
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "expected Float16 or BFloat16");
        }
    }
}
