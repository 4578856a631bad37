using System.Runtime.CompilerServices;

namespace Sage.Numerics;

public static partial class Ptx
{
    /// <summary>NVIDIA's canonical FP16 / BF16 NaN (sign clear, all fraction bits set).</summary>
    public const ushort CanonicalNaN16 = 0x7FFF;

    /// <summary>
    /// <c>cvt.rn.f16.f32</c>: FP16 bits, round to nearest even (System.Half's conversion is RNE, verified by the
    /// property tests against a double-arithmetic oracle); overflow → ±inf, subnormals kept; NaN → 0x7FFF
    /// (CUDA returns the canonical NaN; .NET would keep sign and payload).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort CvtRnF16(float x) =>
        float.IsNaN(x) ? CanonicalNaN16 : BitConverter.HalfToUInt16Bits((Half)x);

    /// <summary><c>cvt.rn.bf16.f32</c>: BF16 bits, round to nearest even, overflow → ±inf; NaN → 0x7FFF.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort CvtRnBf16(float x) => BFloat16.FromSingle(x).Bits;

    /// <summary><c>cvt.rn.f16x2.f32 d, hi, lo</c>: <paramref name="hi"/> → bits 31..16.</summary>
    public static uint CvtRnF16x2(float hi, float lo) => ((uint)CvtRnF16(hi) << 16) | CvtRnF16(lo);

    /// <summary><c>cvt.rn.bf16x2.f32 d, hi, lo</c>: <paramref name="hi"/> → bits 31..16.</summary>
    public static uint CvtRnBf16x2(float hi, float lo) => ((uint)CvtRnBf16(hi) << 16) | CvtRnBf16(lo);

    /// <summary>
    /// <c>cvt.f32.f16</c>: exact widening of FP16 bits (subnormals kept). A NaN stays NaN; its float32 payload is
    /// .NET's (sign and fraction shifted up), which may differ from the GPU's bits: compare NaN-ness, not bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HalfToSingle(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    /// <summary><c>cvt.f32.bf16</c>: exact widening of BF16 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Bf16ToSingle(ushort bits) => BFloat16.FromBits(bits).ToSingle();
}
