using System.Runtime.CompilerServices;

namespace Sage.Numerics;

public static partial class Ptx
{
    /// <summary>NVIDIA's canonical FP16 / BF16 NaN (sign clear, all fraction bits set).</summary>
    public const ushort CanonicalNaN16 = 0x7FFF;

    /// <summary>
    /// <c>cvt.rn.f16.f32</c>: FP16 bits, round to nearest even (System.Half's conversion is RNE, verified against a
    /// double-arithmetic oracle and against the H100 for all 2^32 inputs); overflow → ±inf, subnormals kept;
    /// NaN → 0x7FFF as on the GPU (.NET alone would keep sign and payload).
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
    /// <c>cvt.f32.f16</c>: exact widening of FP16 bits (subnormals kept). Every NaN becomes the canonical float32
    /// NaN 0x7FFFFFFF, as recorded on the H100 (tests/Property/Numerics/GpuRecords).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HalfToSingle(ushort bits) =>
        (bits & 0x7FFF) > 0x7C00 ? CanonicalNaN32 : (float)BitConverter.UInt16BitsToHalf(bits);

    /// <summary>NVIDIA's canonical float32 NaN, 0x7FFFFFFF.</summary>
    public static readonly float CanonicalNaN32 = BitConverter.UInt32BitsToSingle(0x7FFF_FFFFu);

    /// <summary><c>cvt.f32.bf16</c>: exact widening of BF16 bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Bf16ToSingle(ushort bits) => BFloat16.FromBits(bits).ToSingle();
}
