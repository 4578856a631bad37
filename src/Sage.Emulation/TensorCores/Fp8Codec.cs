using System.Runtime.CompilerServices;

namespace Sage.Emulation.TensorCores;

/// <summary>
/// FP8 operands as the tensor core sees them: an integer significand and an exponent, with subnormals
/// kept (exponent pinned at the minimum, no hidden bit). value = Significand · 2^(Exponent − FractionBits).
/// E4M3 is the OCP "fn" format (no infinities, S.1111.111 is NaN); E5M2 is IEEE-like (S.11111.00 is ±inf).
/// </summary>
public static class Fp8Codec
{
    /// <summary>Kind of an FP8 encoding.</summary>
    public enum Fp8Class : byte { Finite, Infinity, NaN }

    /// <summary>Fraction bits of the format: 3 for E4M3, 2 for E5M2.</summary>
    public static int FractionBits(MmaInputFormat format) => format switch
    {
        MmaInputFormat.E4M3 => 3,
        MmaInputFormat.E5M2 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "expected E4M3 or E5M2"),
    };

    /// <summary>Splits an FP8 byte into sign, integer significand and (unbiased, subnormal-pinned) exponent.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Fp8Class Decode(MmaInputFormat format, byte bits, out bool negative, out int significand, out int exponent)
    {
        negative = (bits & 0x80) != 0;
        if (format == MmaInputFormat.E4M3)
        {
            int e = (bits >> 3) & 0xF, m = bits & 7;
            if (e == 15 && m == 7) { significand = 0; exponent = 0; return Fp8Class.NaN; }
            significand = e == 0 ? m : 8 + m;
            exponent = e == 0 ? -6 : e - 7;
            return Fp8Class.Finite;
        }
        if (format == MmaInputFormat.E5M2)
        {
            int e = (bits >> 2) & 0x1F, m = bits & 3;
            significand = 0; exponent = 0;
            if (e == 31) return m == 0 ? Fp8Class.Infinity : Fp8Class.NaN;
            significand = e == 0 ? m : 4 + m;
            exponent = e == 0 ? -14 : e - 15;
            return Fp8Class.Finite;
        }
        throw new ArgumentOutOfRangeException(nameof(format), format, "expected E4M3 or E5M2");
    }

    /// <summary>Exact float32 value of an FP8 byte (NaN for NaN encodings).</summary>
    public static float ToSingle(MmaInputFormat format, byte bits)
    {
        var cls = Decode(format, bits, out bool neg, out int sig, out int exp);
        float v = cls switch
        {
            Fp8Class.NaN => float.NaN,
            Fp8Class.Infinity => float.PositiveInfinity,
            _ => MathF.ScaleB(sig, exp - FractionBits(format)),
        };
        return neg ? -v : v;
    }

    /// <summary>
    /// The FP8 byte whose value is exactly <paramref name="value"/>; false when the value is not representable
    /// (NaN maps to the format's canonical NaN 0x7F, ±inf to E5M2's infinity).
    /// </summary>
    public static bool TryEncode(MmaInputFormat format, float value, out byte bits)
    {
        var table = format == MmaInputFormat.E4M3 ? E4M3Values : E5M2Values;
        if (float.IsNaN(value)) { bits = 0x7F; return true; }
        uint want = BitConverter.SingleToUInt32Bits(value);
        for (int i = 0; i < 256; i++)
        {
            if (!float.IsNaN(table[i]) && BitConverter.SingleToUInt32Bits(table[i]) == want) { bits = (byte)i; return true; }
        }
        bits = 0;
        return false;
    }

    /// <summary>Encodes or throws an ArgumentException naming the argument, the value and the format.</summary>
    public static byte Encode(MmaInputFormat format, float value, string paramName)
    {
        if (!TryEncode(format, value, out byte b))
            throw new ArgumentException($"value {value:R} (0x{BitConverter.SingleToUInt32Bits(value):X8}) is not exactly representable in {format}", paramName);
        return b;
    }

    private static float[] Table(MmaInputFormat f)
    {
        var t = new float[256];
        for (int i = 0; i < 256; i++) t[i] = ToSingle(f, (byte)i);
        return t;
    }

    /// <summary>float value of every E4M3 byte.</summary>
    public static readonly float[] E4M3Values = Table(MmaInputFormat.E4M3);

    /// <summary>float value of every E5M2 byte.</summary>
    public static readonly float[] E5M2Values = Table(MmaInputFormat.E5M2);
}
