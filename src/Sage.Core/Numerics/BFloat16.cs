using System.Runtime.CompilerServices;

namespace Sage.Numerics;

/// <summary>
/// bfloat16: 1 sign, 8 exponent, 7 fraction bits, the upper half of an IEEE float32.
/// .NET 10 has no such type. Conversion from float32 rounds to nearest, ties to even
/// (as `cvt.rn.bf16.f32`); infinities stay infinite; a NaN becomes NVIDIA's canonical NaN 0x7FFF
/// (sign and payload dropped, as CUDA's <c>__float2bfloat16_rn</c>).
/// </summary>
public readonly struct BFloat16 : IEquatable<BFloat16>
{
    public ushort Bits { get; }

    private BFloat16(ushort bits) => Bits = bits;

    public static BFloat16 FromBits(ushort bits) => new(bits);

    /// <summary>Round-to-nearest-even from float32 (`cvt.rn.bf16.f32`).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static BFloat16 FromSingle(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if ((u & 0x7FFF_FFFFu) > 0x7F80_0000u)
            return new(0x7FFF); // NaN: canonical, like the GPU, so emulated and device bits agree
        // Adding 0x7FFF plus the lowest kept bit rounds half to even; a carry into the exponent is the
        // correct result (it rounds up to the next binade or to infinity).
        uint rounded = u + 0x7FFFu + ((u >> 16) & 1u);
        return new((ushort)(rounded >> 16));
    }

    /// <summary>Exact widening to float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float ToSingle() => BitConverter.UInt32BitsToSingle((uint)Bits << 16);

    public static explicit operator BFloat16(float value) => FromSingle(value);
    public static explicit operator float(BFloat16 value) => value.ToSingle();

    public bool IsNaN => (Bits & 0x7FFF) > 0x7F80;
    public bool Equals(BFloat16 other) => Bits == other.Bits;
    public override bool Equals(object? obj) => obj is BFloat16 b && Equals(b);
    public override int GetHashCode() => Bits;
    public override string ToString() => ToSingle().ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
