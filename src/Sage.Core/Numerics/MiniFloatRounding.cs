using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Sage.Numerics;

/// <summary>
/// Round-to-nearest-even from float32 into a narrow binary float (FP8) described by an <see cref="IMiniFloatEncoding"/> struct
/// (stored fraction bits, exponent bias, overflow policy); the shared core of the E4M3 and E5M2 encoders.
/// The format is a struct type argument so the JIT specialises every instantiation with its constants folded.
/// </summary>
/// <remarks>
/// Two regimes:
/// normal targets round the float32 bit pattern directly (adding half an ulp minus one plus the lowest kept bit
/// rounds half to even; a carry into the exponent is the correct next binade);
/// subnormal targets add a power of two whose ulp is exactly the target's subnormal spacing, so the IEEE float32
/// adder itself performs the round-to-nearest-even (exact, since |x| is far below the magic constant) and the low
/// bits of the sum are the code. A result that rounds up to the smallest normal comes out as code 1&lt;&lt;m, which is
/// exactly that normal's code. .NET never sets FTZ/DAZ, so float32 subnormal inputs take part correctly.
/// </remarks>
internal static class MiniFloatRounding
{
    /// <summary>Canonical NaN code written by the hardware for a NaN input (sign dropped), both FP8 formats.</summary>
    internal const byte CanonicalNaN = 0x7F;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static byte Encode<TFormat>(float x) where TFormat : struct, IMiniFloatEncoding
    {
        uint u = BitConverter.SingleToUInt32Bits(x);
        uint sign = (u >> 24) & 0x80u;
        uint a = u & 0x7FFF_FFFFu;
        if (a > 0x7F80_0000u)
            return CanonicalNaN;

        uint minNormalBits = (uint)(127 - TFormat.Bias + 1) << 23;
        uint code;
        if (a < minNormalBits)
        {
            float magic = BitConverter.UInt32BitsToSingle((uint)(127 + 1 - TFormat.Bias - TFormat.MantissaBits + 23) << 23);
            code = BitConverter.SingleToUInt32Bits(BitConverter.UInt32BitsToSingle(a) + magic)
                 - BitConverter.SingleToUInt32Bits(magic);
        }
        else
        {
            int shift = 23 - TFormat.MantissaBits;
            uint rounded = (a + ((1u << (shift - 1)) - 1u) + ((a >> shift) & 1u)) >> shift;
            code = rounded - ((uint)(127 - TFormat.Bias) << TFormat.MantissaBits);
        }

        if (code > TFormat.MaxFiniteCode)
            code = TFormat.SatFinite ? TFormat.MaxFiniteCode : TFormat.OverflowCode;
        return (byte)(code | sign);
    }

    /// <summary>Vector form of the scalar encoder; returns one code per 32-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<uint> Encode<TFormat>(Vector256<float> x) where TFormat : struct, IMiniFloatEncoding
    {
        Vector256<uint> u = x.AsUInt32();
        Vector256<uint> sign = (u >>> 24) & Vector256.Create(0x80u);
        Vector256<uint> a = u & Vector256.Create(0x7FFF_FFFFu);
        Vector256<uint> isNaN = Vector256.GreaterThan(a, Vector256.Create(0x7F80_0000u));

        uint minNormalBits = (uint)(127 - TFormat.Bias + 1) << 23;
        Vector256<uint> isSubnormal = Vector256.LessThan(a, Vector256.Create(minNormalBits));
        uint magicBits = (uint)(127 + 1 - TFormat.Bias - TFormat.MantissaBits + 23) << 23;
        Vector256<uint> subnormalCode =
            (a.AsSingle() + Vector256.Create(BitConverter.UInt32BitsToSingle(magicBits))).AsUInt32() - Vector256.Create(magicBits);

        int shift = 23 - TFormat.MantissaBits;
        Vector256<uint> rounded = (a + Vector256.Create((1u << (shift - 1)) - 1u) + ((a >>> shift) & Vector256<uint>.One)) >>> shift;
        Vector256<uint> normalCode = rounded - Vector256.Create((uint)(127 - TFormat.Bias) << TFormat.MantissaBits);

        Vector256<uint> code = Vector256.ConditionalSelect(isSubnormal, subnormalCode, normalCode);
        Vector256<uint> overflow = Vector256.GreaterThan(code, Vector256.Create(TFormat.MaxFiniteCode));
        code = Vector256.ConditionalSelect(overflow, Vector256.Create(TFormat.SatFinite ? TFormat.MaxFiniteCode : TFormat.OverflowCode), code) | sign;
        return Vector256.ConditionalSelect(isNaN, Vector256.Create((uint)CanonicalNaN), code);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<uint> Encode<TFormat>(Vector512<float> x) where TFormat : struct, IMiniFloatEncoding
    {
        Vector512<uint> u = x.AsUInt32();
        Vector512<uint> sign = (u >>> 24) & Vector512.Create(0x80u);
        Vector512<uint> a = u & Vector512.Create(0x7FFF_FFFFu);
        Vector512<uint> isNaN = Vector512.GreaterThan(a, Vector512.Create(0x7F80_0000u));

        uint minNormalBits = (uint)(127 - TFormat.Bias + 1) << 23;
        Vector512<uint> isSubnormal = Vector512.LessThan(a, Vector512.Create(minNormalBits));
        uint magicBits = (uint)(127 + 1 - TFormat.Bias - TFormat.MantissaBits + 23) << 23;
        Vector512<uint> subnormalCode =
            (a.AsSingle() + Vector512.Create(BitConverter.UInt32BitsToSingle(magicBits))).AsUInt32() - Vector512.Create(magicBits);

        int shift = 23 - TFormat.MantissaBits;
        Vector512<uint> rounded = (a + Vector512.Create((1u << (shift - 1)) - 1u) + ((a >>> shift) & Vector512<uint>.One)) >>> shift;
        Vector512<uint> normalCode = rounded - Vector512.Create((uint)(127 - TFormat.Bias) << TFormat.MantissaBits);

        Vector512<uint> code = Vector512.ConditionalSelect(isSubnormal, subnormalCode, normalCode);
        Vector512<uint> overflow = Vector512.GreaterThan(code, Vector512.Create(TFormat.MaxFiniteCode));
        code = Vector512.ConditionalSelect(overflow, Vector512.Create(TFormat.SatFinite ? TFormat.MaxFiniteCode : TFormat.OverflowCode), code) | sign;
        return Vector512.ConditionalSelect(isNaN, Vector512.Create((uint)CanonicalNaN), code);
    }

    /// <summary>
    /// Encodes a whole span. The vector bodies narrow four (or 4x512-bit) lanes of codes into bytes;
    /// the scalar tail uses the scalar encoder, which is the specification.
    /// </summary>
    internal static void Encode<TFormat>(ReadOnlySpan<float> src, Span<byte> dst) where TFormat : struct, IMiniFloatEncoding
    {
        if (dst.Length < src.Length)
            throw new ArgumentException($"Destination length {dst.Length} is shorter than source length {src.Length}.", nameof(dst));
        int i = 0;
        ref float s = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(src);
        ref byte d = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(dst);
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 64 <= src.Length; i += 64)
            {
                Vector512<uint> c0 = Encode<TFormat>(Vector512.LoadUnsafe(ref s, (nuint)i));
                Vector512<uint> c1 = Encode<TFormat>(Vector512.LoadUnsafe(ref s, (nuint)(i + 16)));
                Vector512<uint> c2 = Encode<TFormat>(Vector512.LoadUnsafe(ref s, (nuint)(i + 32)));
                Vector512<uint> c3 = Encode<TFormat>(Vector512.LoadUnsafe(ref s, (nuint)(i + 48)));
                Vector512.Narrow(Vector512.Narrow(c0, c1), Vector512.Narrow(c2, c3)).StoreUnsafe(ref d, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= src.Length; i += 32)
            {
                Vector256<uint> c0 = Encode<TFormat>(Vector256.LoadUnsafe(ref s, (nuint)i));
                Vector256<uint> c1 = Encode<TFormat>(Vector256.LoadUnsafe(ref s, (nuint)(i + 8)));
                Vector256<uint> c2 = Encode<TFormat>(Vector256.LoadUnsafe(ref s, (nuint)(i + 16)));
                Vector256<uint> c3 = Encode<TFormat>(Vector256.LoadUnsafe(ref s, (nuint)(i + 24)));
                Vector256.Narrow(Vector256.Narrow(c0, c1), Vector256.Narrow(c2, c3)).StoreUnsafe(ref d, (nuint)i);
            }
        }
        for (; i < src.Length; i++)
            dst[i] = Encode<TFormat>(src[i]);
    }
}
