using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Sage.Numerics;

public static partial class Ptx
{
    /// <summary>
    /// <c>cvt.rni.sat.s8.f32</c>: round to nearest integer, ties to even, clamp to [-128, 127]; NaN → 0
    /// (PTX converts NaN to 0 in float-to-integer conversions).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static sbyte CvtRniSatS8(float x) => (sbyte)RoundClamp(x, -128f, 127f);

    /// <summary>
    /// Round to nearest even and clamp to the signed 4-bit range [-8, 7]; NaN → 0. PTX has no s4 cvt; the kernel
    /// produces INT4 (QK) by <c>cvt.rni.sat.s32.f32</c>-style rounding plus a clamp, which this models.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static sbyte CvtRniSatS4(float x) => (sbyte)RoundClamp(x, -8f, 7f);

    /// <summary>Packs two signed 4-bit values into one byte: <paramref name="lo"/> → bits 3..0, <paramref name="hi"/> → bits 7..4.</summary>
    public static byte PackS4x2(sbyte lo, sbyte hi)
    {
        if (lo is < -8 or > 7)
            throw new ArgumentOutOfRangeException(nameof(lo), lo, "An s4 value must lie in [-8, 7].");
        if (hi is < -8 or > 7)
            throw new ArgumentOutOfRangeException(nameof(hi), hi, "An s4 value must lie in [-8, 7].");
        return (byte)((lo & 0xF) | ((hi & 0xF) << 4));
    }

    /// <summary>Inverse of <see cref="PackS4x2"/>: sign-extends both nibbles.</summary>
    public static (sbyte lo, sbyte hi) UnpackS4x2(byte packed) =>
        ((sbyte)((packed << 28) >> 28), (sbyte)(((sbyte)packed) >> 4));

    /// <summary><c>cvt.rzi.s32.f32</c>: truncate toward zero, saturate to the int range; NaN → 0.</summary>
    public static int CvtRziS32(float x)
    {
        if (float.IsNaN(x)) return 0;
        if (x >= 2147483648f) return int.MaxValue;
        if (x <= -2147483648f) return int.MinValue;
        return (int)x;
    }

    /// <summary><c>cvt.rn.f32.s32</c> (<c>__int2float_rn</c>): round to nearest even.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float CvtRnF32S32(int x) => x; // x64 cvtsi2ss rounds by MXCSR, which .NET leaves at RNE.

    /// <summary><c>cvt.rz.f32.s32</c> (<c>__int2float_rz</c>): round toward zero.</summary>
    public static float CvtRzF32S32(int x)
    {
        long magnitude = Math.Abs((long)x);
        // Keep the top 24 significant bits (float32's precision); the rest is cut off, which is round toward zero.
        int dropped = Math.Max(0, 64 - BitOperations.LeadingZeroCount((ulong)magnitude) - 24);
        long kept = (magnitude >> dropped) << dropped;
        float result = kept; // exact: kept has at most 24 significant bits
        return x < 0 ? -result : result;
    }

    /// <summary>Vectorised <see cref="CvtRniSatS8(float)"/> over a span.</summary>
    public static void CvtRniSatS8(ReadOnlySpan<float> src, Span<sbyte> dst) => RoundClamp(src, dst, -128f, 127f, nameof(dst));

    /// <summary>Vectorised <see cref="CvtRniSatS4(float)"/> over a span (one value per sbyte, unpacked).</summary>
    public static void CvtRniSatS4(ReadOnlySpan<float> src, Span<sbyte> dst) => RoundClamp(src, dst, -8f, 7f, nameof(dst));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RoundClamp(float x, float min, float max)
    {
        if (float.IsNaN(x)) return 0;
        return (int)Math.Clamp(MathF.Round(x, MidpointRounding.ToEven), min, max);
    }

    private static void RoundClamp(ReadOnlySpan<float> src, Span<sbyte> dst, float min, float max, string dstName)
    {
        if (dst.Length < src.Length)
            throw new ArgumentException($"Destination length {dst.Length} is shorter than source length {src.Length}.", dstName);
        int i = 0;
        ref float s = ref MemoryMarshal.GetReference(src);
        ref sbyte d = ref MemoryMarshal.GetReference(dst);
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 64 <= src.Length; i += 64)
            {
                Vector512<int> r0 = RoundClamp(Vector512.LoadUnsafe(ref s, (nuint)i), min, max);
                Vector512<int> r1 = RoundClamp(Vector512.LoadUnsafe(ref s, (nuint)(i + 16)), min, max);
                Vector512<int> r2 = RoundClamp(Vector512.LoadUnsafe(ref s, (nuint)(i + 32)), min, max);
                Vector512<int> r3 = RoundClamp(Vector512.LoadUnsafe(ref s, (nuint)(i + 48)), min, max);
                Vector512.Narrow(Vector512.Narrow(r0, r1), Vector512.Narrow(r2, r3)).StoreUnsafe(ref d, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= src.Length; i += 32)
            {
                Vector256<int> r0 = RoundClamp(Vector256.LoadUnsafe(ref s, (nuint)i), min, max);
                Vector256<int> r1 = RoundClamp(Vector256.LoadUnsafe(ref s, (nuint)(i + 8)), min, max);
                Vector256<int> r2 = RoundClamp(Vector256.LoadUnsafe(ref s, (nuint)(i + 16)), min, max);
                Vector256<int> r3 = RoundClamp(Vector256.LoadUnsafe(ref s, (nuint)(i + 24)), min, max);
                Vector256.Narrow(Vector256.Narrow(r0, r1), Vector256.Narrow(r2, r3)).StoreUnsafe(ref d, (nuint)i);
            }
        }
        for (; i < src.Length; i++)
            dst[i] = (sbyte)RoundClamp(src[i], min, max);
    }

    // NaN lanes are zeroed first because Min/Max on NaN is platform-defined; after the clamp every lane is an
    // integer in range, so the float→int conversion is exact whatever its own rounding.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> RoundClamp(Vector512<float> x, float min, float max)
    {
        x = Vector512.ConditionalSelect(Vector512.Equals(x, x), x, Vector512<float>.Zero);
        x = Vector512.Min(Vector512.Max(Vector512.Round(x), Vector512.Create(min)), Vector512.Create(max));
        return Vector512.ConvertToInt32(x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> RoundClamp(Vector256<float> x, float min, float max)
    {
        x = Vector256.ConditionalSelect(Vector256.Equals(x, x), x, Vector256<float>.Zero);
        x = Vector256.Min(Vector256.Max(Vector256.Round(x), Vector256.Create(min)), Vector256.Create(max));
        return Vector256.ConvertToInt32(x);
    }
}
