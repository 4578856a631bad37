using System.Runtime.Intrinsics;
using Sage.Emulation.Preprocessing;
using Sage.Emulation.TensorCores;

namespace Sage.Emulation.Mainloop;

/// <summary>
/// A vectorised evaluation of <see cref="Fp8FusedDotModel"/> (one block of 32 E4M3 products plus C per k-step) for
/// all channels of one P row at once. It computes exactly what the model computes, with float arithmetic that is
/// provably exact: E4M3 products are exact in fp32; scaling by 2^(f − emax) is exact; each aligned term is then
/// truncated toward zero to an integer below 2^15 (the alignment keeps f = 13 bits below the largest exponent) and
/// the ≤ 33 terms sum exactly (below 2^21 &lt; 2^24). Lanes outside that envelope (C not finite, C so small that
/// 2^(emax − f) is subnormal, NaN codes) are handed to the model itself. tests/Property/Emulation checks equality
/// with <see cref="Fp8FusedDotModel.DotBytes"/> on random and adversarial inputs.
/// </summary>
public sealed class Fp8PvFastPath
{
    /// <summary>Exponent given to zero codes: far below any real exponent, so zero products never set the maximum.</summary>
    private const int ZeroExponent = -100_000;
    private const int LowestSafeMax = -100; // 2^(emax − f) and 2^(f − emax) stay normal fp32 for f ≤ 20

    private static readonly float[] s_value = BuildValues();
    private static readonly int[] s_exponent = BuildExponents();

    private readonly Fp8FusedDotModel _model;
    private readonly int _alignmentBits;
    private readonly uint _fp32Mask;
    private readonly bool _fp16;

    private Fp8PvFastPath(Fp8PvModelShape shape)
    {
        _model = shape.Model;
        _alignmentBits = shape.AlignmentBits;
        _fp32Mask = shape.Fp32Mask;
        _fp16 = shape.Fp16;
    }

    /// <summary>The fast path for <paramref name="model"/>, or null when the model is not of the supported shape.</summary>
    public static Fp8PvFastPath? TryCreate(IDotProductModel model) =>
        Fp8PvModelShape.Of(model, maxAlignmentBits: 20) is { } shape ? new Fp8PvFastPath(shape) : null;

    /// <summary>Exact fp32 value of each E4M3 code (NaN codes: NaN).</summary>
    public static ReadOnlySpan<float> Values => s_value;

    /// <summary>Alignment exponent of each E4M3 code as the model uses it (subnormals pinned at −6; zero: a sentinel).</summary>
    public static ReadOnlySpan<int> Exponents => s_exponent;

    /// <summary>
    /// For every channel c: acc[c] = chain of k-steps over tokens [from, from + count) of the tile starting at global
    /// token <paramref name="tileStart"/>, with P codes <paramref name="p8"/> (indexed within the tile), starting from
    /// C = acc[c]. <paramref name="count"/> is a multiple of 32.
    /// </summary>
    public void Chain(ReadOnlySpan<byte> p8, int tileStart, int from, int count, PreparedKeyValueHead kv, Span<float> acc)
    {
        int d = acc.Length;
        Span<float> pValue = stackalloc float[KernelTiling.PvKStep];
        Span<int> pExponent = stackalloc int[KernelTiling.PvKStep];
        var values = kv.ValuesTokenMajor;
        var exponents = kv.ExponentsTokenMajor;
        for (int s = from; s < from + count; s += KernelTiling.PvKStep)
        {
            bool nan = false;
            for (int k = 0; k < KernelTiling.PvKStep; k++)
            {
                byte code = p8[s + k];
                nan |= (code & 0x7F) == 0x7F;
                pValue[k] = s_value[code];
                pExponent[k] = s_exponent[code];
            }
            int row0 = (tileStart + s) * d;
            if (nan)
            {
                ModelStep(p8.Slice(s, KernelTiling.PvKStep), kv, tileStart + s, acc);
                continue;
            }
            int c = 0;
            if (Vector512.IsHardwareAccelerated)
                for (; c + 16 <= d; c += 16) Step512(pValue, pExponent, values, exponents, row0, d, c, acc, p8.Slice(s, KernelTiling.PvKStep), kv, tileStart + s);
            for (; c < d; c++) acc[c] = StepScalar(pValue, pExponent, values, exponents, row0, d, c, acc[c], p8.Slice(s, KernelTiling.PvKStep), kv, tileStart + s);
        }
    }

    /// <summary>
    /// The same chain on raw codes, for checking the fast path against the model: <paramref name="p8"/> holds 128
    /// P codes, <paramref name="valueCodes"/> 128 tokens × <c>acc.Length</c> channels (token-major), and
    /// acc[c] = chain over tokens [from, from + count) starting from C = acc[c].
    /// </summary>
    public void Chain(ReadOnlySpan<byte> p8, ReadOnlySpan<byte> valueCodes, int from, int count, Span<float> acc)
    {
        int d = acc.Length;
        if (p8.Length != KernelTiling.KeyTileTokens || valueCodes.Length != KernelTiling.KeyTileTokens * d)
            throw new ArgumentException($"Expected 128 P codes and 128 × {d} V codes; got {p8.Length} and {valueCodes.Length}.", nameof(valueCodes));
        var kv = new PreparedKeyValueHead(KernelTiling.KeyTileTokens, d);
        for (int t = 0; t < KernelTiling.KeyTileTokens; t++)
        for (int c = 0; c < d; c++)
            kv.ValueCodesTransposed[c * KernelTiling.KeyTileTokens + t] = valueCodes[t * d + c];
        kv.DeriveTokenMajorValues();
        Chain(p8, 0, from, count, kv, acc);
    }

    private float StepScalar(ReadOnlySpan<float> pValue, ReadOnlySpan<int> pExponent, float[] values, int[] exponents,
        int row0, int d, int c, float acc, ReadOnlySpan<byte> p8, PreparedKeyValueHead kv, int token0)
    {
        int emax = AccumulatorExponent(acc);
        for (int k = 0; k < KernelTiling.PvKStep; k++) emax = Math.Max(emax, pExponent[k] + exponents[row0 + k * d + c]);
        if (emax < ZeroExponent / 2) return 0f; // every product and C are zero
        if (emax < LowestSafeMax || !float.IsFinite(acc)) return ModelChannel(p8, kv, token0, c, acc);
        float invUnit = Pow2(_alignmentBits - emax);
        float sum = MathF.Truncate(acc * invUnit);
        for (int k = 0; k < KernelTiling.PvKStep; k++)
            sum += MathF.Truncate(pValue[k] * values[row0 + k * d + c] * invUnit);
        return Finish(sum * Pow2(emax - _alignmentBits));
    }

    private void Step512(ReadOnlySpan<float> pValue, ReadOnlySpan<int> pExponent, float[] values, int[] exponents,
        int row0, int d, int c, Span<float> acc, ReadOnlySpan<byte> p8, PreparedKeyValueHead kv, int token0)
    {
        var cv = Vector512.Create(acc.Slice(c, 16));
        var cBits = cv.AsInt32();
        var field = (cBits >>> 23) & Vector512.Create(0xFF);
        var isZero = Vector512.Equals(cBits & Vector512.Create(0x7FFF_FFFF), Vector512<int>.Zero);
        // C's exponent as the model reads it: fp32 subnormals pinned at −126; an FP16 C pinned at −14.
        Vector512<int> cExp = Vector512.Max(field - Vector512.Create(127), Vector512.Create(_fp16 ? -14 : -126));
        Vector512<int> emax = Vector512.ConditionalSelect(isZero, Vector512.Create(ZeroExponent), cExp);
        for (int k = 0; k < KernelTiling.PvKStep; k++)
            emax = Vector512.Max(emax, Vector512.Create(pExponent[k]) + Vector512.LoadUnsafe(ref exponents[row0 + k * d + c]));
        Vector512<int> bad = Vector512.LessThan(emax, Vector512.Create(LowestSafeMax)) | Vector512.Equals(field, Vector512.Create(0xFF));
        var alignment = Vector512.Create(_alignmentBits);
        var invUnit = ((Vector512.Create(127) + alignment - emax) << 23).AsSingle();
        var sum = Vector512.Truncate(cv * invUnit);
        for (int k = 0; k < KernelTiling.PvKStep; k++)
            sum += Vector512.Truncate(Vector512.Create(pValue[k]) * Vector512.LoadUnsafe(ref values[row0 + k * d + c]) * invUnit);
        var unit = ((Vector512.Create(127) + emax - alignment) << 23).AsSingle();
        var result = sum * unit;
        var bits = result.AsUInt32();
        var magnitude = bits & Vector512.Create(0x7FFF_FFFFu);
        Vector512<uint> rounded;
        if (_fp16)
        {
            // Round to nearest even at FP16's 10 fraction bits in the normal range [2^−14, 65520); below 2^−14 to a
            // multiple of 2^−24 (FP16 subnormals) by adding and removing 0.5, whose fp32 ulp is 2^−24 (both exact
            // but the one rounding we want). Overflow (≥ 65520 → ±inf) takes the scalar conversion below.
            bad |= Vector512.GreaterThanOrEqual(magnitude, Vector512.Create(0x477F_F000u)).AsInt32();
            var normal = (bits + Vector512.Create(0xFFFu) + ((bits >>> 13) & Vector512.Create(1u))) & Vector512.Create(0xFFFF_E000u);
            var subnormal = ((magnitude.AsSingle() + Vector512.Create(0.5f)) - Vector512.Create(0.5f)).AsUInt32()
                            | (bits & Vector512.Create(0x8000_0000u));
            rounded = Vector512.ConditionalSelect(Vector512.LessThan(magnitude, Vector512.Create(0x3880_0000u)), subnormal, normal);
        }
        else
        {
            rounded = bits & Vector512.Create(_fp32Mask);
        }
        // An exact zero sum is +0 in the accumulator (the model returns +0, never −0).
        rounded = Vector512.ConditionalSelect(Vector512.Equals(magnitude, Vector512<uint>.Zero), Vector512<uint>.Zero, rounded);
        rounded.AsSingle().CopyTo(acc.Slice(c, 16));
        if (Vector512.EqualsAll(bad, Vector512<int>.Zero)) return;
        for (int lane = 0; lane < 16; lane++)
        {
            if (bad[lane] == 0) continue;
            if (emax[lane] < ZeroExponent / 2) { acc[c + lane] = 0f; continue; }
            if (emax[lane] >= LowestSafeMax && field[lane] != 0xFF) { acc[c + lane] = Finish(result[lane]); continue; }
            acc[c + lane] = ModelChannel(p8, kv, token0, c + lane, cv[lane]);
        }
    }

    /// <summary>Writes the exact block sum into the accumulator format (FP32 truncated to the model's bits, FP16 RNE).</summary>
    private float Finish(float exact)
    {
        if (exact == 0f) return 0f;
        if (_fp16) return (float)(Half)exact;
        return BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(exact) & _fp32Mask);
    }

    private int AccumulatorExponent(float c)
    {
        uint bits = BitConverter.SingleToUInt32Bits(c);
        if ((bits & 0x7FFF_FFFFu) == 0) return ZeroExponent;
        int field = (int)((bits >> 23) & 0xFF);
        int e = field == 0 ? -126 : field - 127;
        return _fp16 ? Math.Max(e, -14) : e;
    }

    private static float Pow2(int e) => BitConverter.Int32BitsToSingle((127 + e) << 23);

    private float ModelChannel(ReadOnlySpan<byte> p8, PreparedKeyValueHead kv, int token0, int c, float acc) =>
        _model.DotBytes(p8, kv.ValueCodesTransposed.AsSpan(c * kv.PaddedLength + token0, KernelTiling.PvKStep), acc);

    private void ModelStep(ReadOnlySpan<byte> p8, PreparedKeyValueHead kv, int token0, Span<float> acc)
    {
        for (int c = 0; c < acc.Length; c++) acc[c] = ModelChannel(p8, kv, token0, c, acc[c]);
    }

    private static float[] BuildValues()
    {
        var t = new float[256];
        for (int i = 0; i < 256; i++) t[i] = Fp8Codec.ToSingle(MmaInputFormat.E4M3, (byte)i);
        return t;
    }

    private static int[] BuildExponents()
    {
        var t = new int[256];
        for (int i = 0; i < 256; i++)
        {
            Fp8Codec.Decode(MmaInputFormat.E4M3, (byte)i, out _, out int sig, out int exp);
            t[i] = sig == 0 ? ZeroExponent : exp;
        }
        return t;
    }
}
