using System.Runtime.CompilerServices;

namespace Sage.Numerics;

/// <summary>
/// OCP FP8 E4M3 ("fn" variant, as NVIDIA <c>.e4m3</c>): 1 sign, 4 exponent (bias 7), 3 fraction bits.
/// No infinities: S.1111.111 (0x7F, 0xFF) is NaN, so the largest finite magnitude is 1.75·2^8 = 448 (0x7E).
/// Subnormals 0.mmm·2^-6 are kept (smallest 2^-9). Codes are raw bytes; this type only converts.
/// </summary>
public static class Fp8E4M3
{
    public const float MaxFinite = 448f;
    /// <summary>Smallest positive subnormal, 2^-9.</summary>
    public const float MinSubnormal = 1f / 512f;
    /// <summary>Smallest positive normal, 2^-6.</summary>
    public const float MinNormal = 1f / 64f;
    public const byte MaxFiniteCode = 0x7E;
    /// <summary>The NaN code written by conversions (sign dropped). 0xFF also decodes as NaN.</summary>
    public const byte NaNCode = 0x7F;

    private static readonly float[] Table = BuildTable();

    /// <summary>All 256 decoded values indexed by code; NaN codes hold the canonical quiet NaN 0x7FFFFFFF.</summary>
    public static ReadOnlySpan<float> DecodeTable => Table;

    /// <summary>Exact widening to float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Decode(byte code) => Table[code];

    /// <summary>Decodes a span of codes; <paramref name="dst"/> must be at least as long as <paramref name="src"/>.</summary>
    public static void Decode(ReadOnlySpan<byte> src, Span<float> dst) => Fp8Tables.Decode(Table, src, dst, nameof(dst));

    public static bool IsNaN(byte code) => (code & 0x7F) == 0x7F;

    /// <summary>Round to nearest even, saturating to ±448 (<c>cvt.rn.satfinite.e4m3x2.f32</c>). ±inf → ±448, NaN → 0x7F.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte EncodeSatFinite(float x) => MiniFloatRounding.Encode<E4M3SatFinite>(x);

    /// <summary>
    /// Round to nearest even without saturation: a result beyond 448 (|x| &gt; 464, the midpoint towards the
    /// absent 480) and ±inf become NaN (0x7F / 0xFF keeping the sign), as CUDA's <c>__NV_NOSAT</c>;
    /// a NaN input gives 0x7F. PTX has no non-satfinite f32→e4m3 instruction; this exists for analysis.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte Encode(float x) => MiniFloatRounding.Encode<E4M3NoSat>(x);

    private static float[] BuildTable()
    {
        var table = new float[256];
        for (int c = 0; c < 256; c++)
        {
            int exponent = (c >> 3) & 0xF, fraction = c & 7;
            float magnitude = exponent == 0xF && fraction == 7 ? Fp8Tables.CanonicalNaN
                : exponent == 0 ? fraction * MinSubnormal
                : MathF.ScaleB(1f + fraction / 8f, exponent - 7);
            table[c] = (c & 0x80) != 0 && !float.IsNaN(magnitude) ? -magnitude : magnitude;
        }
        return table;
    }
}
