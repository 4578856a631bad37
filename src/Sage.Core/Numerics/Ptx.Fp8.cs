using System.Runtime.CompilerServices;

namespace Sage.Numerics;

/// <summary>
/// Bit-exact CPU models of the PTX conversion instructions the kernel uses, named after the instruction.
/// Scalar methods are the specification; span methods are vectorised versions tested against them.
/// The satfinite FP8, f16, bf16, s8, s32 and int→float conversions here were checked bit for bit against an H100
/// for every one of the 2^32 inputs (tests/Property/Numerics/GpuRecords).
/// </summary>
/// <remarks>
/// Packed <c>x2</c> forms follow PTX operand order: for <c>cvt... d, a, b</c> the value converted from
/// <c>a</c> goes to the upper half of <c>d</c> and the one from <c>b</c> to the lower half, so the first
/// argument (<c>hi</c>) lands in the upper byte/half.
/// </remarks>
public static partial class Ptx
{
    /// <summary><c>cvt.rn.satfinite.e4m3x2.f32</c> (one lane): RNE, overflow and ±inf → ±448, NaN → 0x7F.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte CvtRnSatfiniteE4M3(float x) => Fp8E4M3.EncodeSatFinite(x);

    /// <summary>
    /// Non-saturating f32→e4m3, RNE; overflow and ±inf → NaN (0x7F/0xFF with the sign), NaN → 0x7F.
    /// PTX makes <c>.satfinite</c> mandatory for every f8x2 destination, so no instruction does this;
    /// it is CUDA's <c>__NV_NOSAT</c> software conversion, kept for analysis.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte CvtRnE4M3(float x) => Fp8E4M3.Encode(x);

    /// <summary><c>cvt.rn.satfinite.e5m2x2.f32</c> (one lane): RNE, overflow and ±inf → ±57344, NaN → 0x7F.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte CvtRnSatfiniteE5M2(float x) => Fp8E5M2.EncodeSatFinite(x);

    /// <summary>
    /// Non-saturating f32→e5m2, IEEE RNE: overflow and ±inf → ±inf, NaN → 0x7F. No PTX instruction
    /// (see <see cref="CvtRnE4M3(float)"/>); CUDA's <c>__NV_NOSAT</c> semantics, for analysis.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte CvtRnE5M2(float x) => Fp8E5M2.Encode(x);

    /// <summary><c>cvt.rn.satfinite.e4m3x2.f32 d, hi, lo</c>: <paramref name="hi"/> → bits 15..8, <paramref name="lo"/> → bits 7..0.</summary>
    public static ushort CvtRnSatfiniteE4M3x2(float hi, float lo) => Pack(CvtRnSatfiniteE4M3(hi), CvtRnSatfiniteE4M3(lo));

    /// <summary>Non-saturating packed form of <see cref="CvtRnE4M3(float)"/> (no PTX instruction; analysis only).</summary>
    public static ushort CvtRnE4M3x2(float hi, float lo) => Pack(CvtRnE4M3(hi), CvtRnE4M3(lo));

    /// <summary><c>cvt.rn.satfinite.e5m2x2.f32 d, hi, lo</c>: <paramref name="hi"/> → bits 15..8, <paramref name="lo"/> → bits 7..0.</summary>
    public static ushort CvtRnSatfiniteE5M2x2(float hi, float lo) => Pack(CvtRnSatfiniteE5M2(hi), CvtRnSatfiniteE5M2(lo));

    /// <summary>Non-saturating packed form of <see cref="CvtRnE5M2(float)"/> (no PTX instruction; analysis only).</summary>
    public static ushort CvtRnE5M2x2(float hi, float lo) => Pack(CvtRnE5M2(hi), CvtRnE5M2(lo));

    /// <summary>
    /// <c>cvt.rn.f16x2.e4m3x2 d, a</c>: exact widening of both bytes to FP16, upper byte → upper half.
    /// NaN codes give the canonical FP16 NaN 0x7FFF.
    /// </summary>
    public static uint CvtRnF16x2E4M3x2(ushort codes) =>
        ((uint)CvtRnF16(Fp8E4M3.Decode((byte)(codes >> 8))) << 16) | CvtRnF16(Fp8E4M3.Decode((byte)codes));

    /// <summary><c>cvt.rn.f16x2.e5m2x2 d, a</c>: exact widening, upper byte → upper half; NaN → 0x7FFF.</summary>
    public static uint CvtRnF16x2E5M2x2(ushort codes) =>
        ((uint)CvtRnF16(Fp8E5M2.Decode((byte)(codes >> 8))) << 16) | CvtRnF16(Fp8E5M2.Decode((byte)codes));

    /// <summary>Vectorised <see cref="CvtRnSatfiniteE4M3(float)"/> over a span.</summary>
    public static void CvtRnSatfiniteE4M3(ReadOnlySpan<float> src, Span<byte> dst) => MiniFloatRounding.Encode<E4M3SatFinite>(src, dst);

    /// <summary>Vectorised <see cref="CvtRnE4M3(float)"/> over a span.</summary>
    public static void CvtRnE4M3(ReadOnlySpan<float> src, Span<byte> dst) => MiniFloatRounding.Encode<E4M3NoSat>(src, dst);

    /// <summary>Vectorised <see cref="CvtRnSatfiniteE5M2(float)"/> over a span.</summary>
    public static void CvtRnSatfiniteE5M2(ReadOnlySpan<float> src, Span<byte> dst) => MiniFloatRounding.Encode<E5M2SatFinite>(src, dst);

    /// <summary>Vectorised <see cref="CvtRnE5M2(float)"/> over a span.</summary>
    public static void CvtRnE5M2(ReadOnlySpan<float> src, Span<byte> dst) => MiniFloatRounding.Encode<E5M2NoSat>(src, dst);

    private static ushort Pack(byte hi, byte lo) => (ushort)((hi << 8) | lo);
}
