using System.Runtime.CompilerServices;

namespace Sage.Numerics;

/// <summary>
/// OCP FP8 E5M2 (NVIDIA <c>.e5m2</c>): 1 sign, 5 exponent (bias 15), 2 fraction bits; IEEE-like, i.e. the top
/// byte of an FP16. Exponent 31 holds ±inf (fraction 0) and NaN; the largest finite magnitude is 1.75·2^15 = 57344
/// (0x7B). Subnormals 0.mm·2^-14 are kept (smallest 2^-16).
/// </summary>
public static class Fp8E5M2
{
    public const float MaxFinite = 57344f;
    /// <summary>Smallest positive subnormal, 2^-16.</summary>
    public const float MinSubnormal = 1f / 65536f;
    /// <summary>Smallest positive normal, 2^-14.</summary>
    public const float MinNormal = 1f / 16384f;
    public const byte MaxFiniteCode = 0x7B;
    public const byte InfinityCode = 0x7C;
    /// <summary>The NaN code written by conversions (sign dropped).</summary>
    public const byte NaNCode = 0x7F;

    private static readonly float[] Table = BuildTable();

    /// <summary>All 256 decoded values indexed by code; NaN codes hold the canonical quiet NaN 0x7FFFFFFF.</summary>
    public static ReadOnlySpan<float> DecodeTable => Table;

    /// <summary>Exact widening to float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Decode(byte code) => Table[code];

    /// <summary>Decodes a span of codes; <paramref name="dst"/> must be at least as long as <paramref name="src"/>.</summary>
    public static void Decode(ReadOnlySpan<byte> src, Span<float> dst) => Fp8Tables.Decode(Table, src, dst, nameof(dst));

    public static bool IsNaN(byte code) => (code & 0x7F) > 0x7C;

    /// <summary>Round to nearest even, saturating to ±57344 (<c>cvt.rn.satfinite.e5m2x2.f32</c>). ±inf → ±57344, NaN → 0x7F.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte EncodeSatFinite(float x) => MiniFloatRounding.Encode<E5M2SatFinite>(x);

    /// <summary>
    /// IEEE round to nearest even: |x| ≥ 61440 (the midpoint to 2^16, which wins the tie as the even neighbour)
    /// and ±inf give ±inf (0x7C / 0xFC); NaN gives 0x7F. PTX has no non-satfinite f32→e5m2 instruction; this is
    /// CUDA's <c>__NV_NOSAT</c> semantics, for analysis.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte Encode(float x) => MiniFloatRounding.Encode<E5M2NoSat>(x);

    private static float[] BuildTable()
    {
        var table = new float[256];
        for (int c = 0; c < 256; c++)
        {
            int exponent = (c >> 2) & 0x1F, fraction = c & 3;
            float magnitude = exponent == 0x1F ? (fraction == 0 ? float.PositiveInfinity : Fp8Tables.CanonicalNaN)
                : exponent == 0 ? fraction * MinSubnormal
                : MathF.ScaleB(1f + fraction / 4f, exponent - 15);
            table[c] = (c & 0x80) != 0 && !float.IsNaN(magnitude) ? -magnitude : magnitude;
        }
        return table;
    }
}
