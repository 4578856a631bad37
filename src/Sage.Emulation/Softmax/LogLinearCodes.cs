using System.Runtime.Intrinsics;
using Sage.Emulation.Mainloop;

namespace Sage.Emulation.Softmax;

/// <summary>
/// Steps 5' (LogArgument) and 8' (LogCode) of docs/kernel-spec.md §7, "P encoding LogLinear"
/// (<see cref="PEncoding.LogLinear"/>): the E4M3 codes of P read
/// straight off the argument of P = 2^x, without an exp2. Per key, z = 8·x + 55.5 is formed with the argument's own
/// rule of <see cref="ExponentArgument"/>:
/// <list type="bullet">
/// <item>fused rule (visible key, no Q smoothing, qk &lt; <see cref="KernelConstants.FusedOffsetLimit"/>):
/// c = (−(SHIFTER ⊗ qk)) ⊖ base, c8 = fma(c, 8, 55.5), <c>z = fma(SHIFTER + acc, 8 ⊗ qk, c8)</c>;</item>
/// <item>two-step rule (everything else, masked keys with S = −∞ included): <c>z = fma(S ⊖ base, 8, 55.5)</c>.</item>
/// </list>
/// Then the code is the low byte of the fp16 sum h + 1536 with h = cvt.rn.relu.f16(z) (<see cref="Code"/>).
/// </summary>
/// <remarks>
/// Why: an E4M3 code n = 8·e' + m (e' = biased exponent, m = 3 fraction bits) is, read as an integer, 8 times a
/// piecewise-linear log2 of its value plus 56 (Mitchell's approximation), so the code of 2^x is about 8·x + 56 and needs
/// no exp2. The offset is 55.5 instead of 56 so that rounding to nearest gives ⌊8·(x + 7)⌋: the exponent field ⌊x⌋ + 7
/// and the first three bits of x's fraction. The kernel rounds z to an integer with two fp16 instructions per pair of
/// scores: cvt.rn.relu.f16x2.f32 (which also clamps negatives and −∞ to +0) and an fp16 add of 1536 = 1.5·2^10, whose
/// ulp is 1, so the sum's low byte is the integer. That replaces two MUFU.EX2 and one E4M3 conversion per pair. The
/// row's base is m ⊖ log2 448 rounded toward +∞ (§7 step 4', <see cref="OnlineSoftmax.BaseRoundedUp"/>), so
/// m − base ≤ log2 448 ≈ 8.807 exactly, z ≤ ≈ 126.1 and codes stay ≤ 126 (448, the top of E4M3), never the NaN code
/// 0x7F, at every magnitude. (Rounded to nearest, as Exp2 forms it, a huge m's coarse grid made the row maximum's x = 9
/// for |m| in [2^22, 2^24), code 0x80 (E4M3 −0), and 16 for |m| in [2^27, 2^28), code 0xB8 (−1): a negative row sum.)
/// The codes are within one step of the Exp2 encoding's where P is an
/// E4M3 normal; below 2^−6 (x &lt; −6, E4M3 subnormals, whose codes are linear in P, not in log2 P) they are up to four
/// steps lower, P values below 2^−6/448 of the row maximum.
/// </remarks>
public static class LogLinearCodes
{
    /// <summary>The code steps per unit of x: 8, the E4M3 codes per binade.</summary>
    public const float Scale = 8f;

    /// <summary>z = 8·x + 55.5: 8 × the E4M3 exponent bias 7, less one half so that rounding truncates x's eighths.</summary>
    public const float Offset = 55.5f;

    /// <summary>1536 = 1.5·2^10: the fp16 add that rounds h to an integer (ulp 1 in [1024, 2048)), in its low byte.</summary>
    public const float IntegerShifter = 1536f;

    /// <summary>The smallest normal fp16 (2^−14): from here the float rounding of <see cref="CodeVector"/> is exact.</summary>
    private const float HalfMinNormal = 6.1035156e-05f;

    /// <summary>Code of a NaN z: the low byte of the canonical fp16 NaN 0x7FFF.</summary>
    public const byte NaNCode = 0xFF;

    /// <summary>
    /// The scalar definition of z for one visible key (<paramref name="score"/> its S of §5, <paramref name="acc"/> its
    /// int32 QK sum, <paramref name="qk"/> its cleared scale product); mirrors <see cref="ExponentArgument.Of"/>.
    /// </summary>
    public static float Argument(int acc, float qk, float score, float @base, bool smoothQ)
    {
        if (!ExponentArgument.IsFused(qk, smoothQ)) return TwoStep(score, @base);
        float f = acc + KernelConstants.ScoreShifter; // exact: an integer below 2^24
        float offset = -(KernelConstants.ScoreShifter * qk) - @base;
        float c8 = MathF.FusedMultiplyAdd(offset, Scale, Offset);
        return MathF.FusedMultiplyAdd(f, Scale * qk, c8); // 8 ⊗ qk is exact
    }

    /// <summary>z of the two-step rule, fma(S ⊖ base, 8, 55.5); masked keys (S = −∞) give −∞.</summary>
    public static float TwoStep(float score, float @base) => MathF.FusedMultiplyAdd(score - @base, Scale, Offset);

    /// <summary>
    /// The scalar definition of the code: NaN → 0xFF; otherwise h = cvt.rn.relu.f16.f32(z) (round to nearest even,
    /// negatives and −0 to +0), s = h + 1536 in fp16 (round to nearest even), the low byte of s's bits. For z in
    /// (0, 126.2] that is the nearest integer (ties to even) to h; +∞ and z ≥ 65520 give fp16 ∞, code 0.
    /// </summary>
    public static byte Code(float z)
    {
        if (float.IsNaN(z)) return NaNCode;
        Half h = z > 0 ? (Half)z : (Half)0f;
        Half s = (Half)((float)h + IntegerShifter); // the f32 sum is exact for h ≥ 0.5; below, s = 1536 anyway
        return (byte)(BitConverter.HalfToUInt16Bits(s) & 0xFF);
    }

    /// <summary>
    /// z for the row's tile: keys 0..visibleKeys−1 are visible (their acc and k_scale are used), the others take the
    /// two-step rule with their masked S. <paramref name="arguments"/> may not alias <paramref name="scores"/>.
    /// </summary>
    public static void Form(ReadOnlySpan<int> acc, float queryScale, ReadOnlySpan<float> keyScales, bool smoothQ,
        ReadOnlySpan<float> scores, int visibleKeys, float @base, Span<float> arguments)
    {
        int n = scores.Length;
        if (arguments.Length < n)
            throw new ArgumentException($"arguments has {arguments.Length} elements, scores has {n}; expected at least as many", nameof(arguments));
        int visible = Math.Clamp(visibleKeys, 0, n);
        var b = Vector512.Create(@base);
        var scale = Vector512.Create(Scale);
        var offset = Vector512.Create(Offset);
        int j = 0;
        if (!smoothQ)
        {
            if (Vector512.IsHardwareAccelerated)
            {
                // The same operations per element as Argument, both rules evaluated and the fused one selected where qk < 2^−7.
                var qs = Vector512.Create(queryScale);
                var shifter = Vector512.Create(KernelConstants.ScoreShifter);
                var shifterBits = Vector512.Create(KernelConstants.ScoreShifterBits);
                var low = Vector512.Create(~3u);
                var limit = Vector512.Create(KernelConstants.FusedOffsetLimit);
                for (; j + 16 <= visible; j += 16)
                {
                    var qk = ((qs * Vector512.Create(keyScales.Slice(j, 16))).AsUInt32() & low).AsSingle();
                    var f = (Vector512.Create(acc.Slice(j, 16)) + shifterBits).AsSingle();
                    var c8 = Vector512.FusedMultiplyAdd(-(shifter * qk) - b, scale, offset);
                    var fused = Vector512.FusedMultiplyAdd(f, scale * qk, c8);
                    var twoStep = Vector512.FusedMultiplyAdd(Vector512.Create(scores.Slice(j, 16)) - b, scale, offset);
                    Vector512.ConditionalSelect(Vector512.LessThan(qk, limit), fused, twoStep).CopyTo(arguments.Slice(j, 16));
                }
            }
            for (; j < visible; j++)
                arguments[j] = Argument(acc[j], ScoreDequantization.ScoreScale(queryScale, keyScales[j]), scores[j], @base, smoothQ);
        }
        // From here every key takes the two-step rule: with Q smoothing all of them, otherwise the masked ones.
        if (Vector512.IsHardwareAccelerated)
            for (; j + 16 <= n; j += 16)
                Vector512.FusedMultiplyAdd(Vector512.Create(scores.Slice(j, 16)) - b, scale, offset).CopyTo(arguments.Slice(j, 16));
        for (; j < n; j++) arguments[j] = TwoStep(scores[j], @base);
    }

    /// <summary>
    /// The codes of <paramref name="arguments"/> (<see cref="Code"/> per element), 64 at a time with AVX-512: the two fp16
    /// roundings are done in fp32 arithmetic (<see cref="CodeVector"/>), equal to the scalar definition bit for bit.
    /// </summary>
    public static void Encode(ReadOnlySpan<float> arguments, Span<byte> codes)
    {
        int n = arguments.Length;
        if (codes.Length < n)
            throw new ArgumentException($"codes has {codes.Length} elements, arguments has {n}; expected at least as many", nameof(codes));
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 64 <= n; j += 64)
            {
                var c0 = CodeVector(Vector512.Create(arguments.Slice(j, 16)));
                var c1 = CodeVector(Vector512.Create(arguments.Slice(j + 16, 16)));
                var c2 = CodeVector(Vector512.Create(arguments.Slice(j + 32, 16)));
                var c3 = CodeVector(Vector512.Create(arguments.Slice(j + 48, 16)));
                Vector512.Narrow(Vector512.Narrow(c0, c1), Vector512.Narrow(c2, c3)).CopyTo(codes.Slice(j, 64));
            }
        }
        for (; j < n; j++) codes[j] = Code(arguments[j]);
    }

    /// <summary>
    /// The codes of one row's tile: z (<see cref="Form"/>) into <paramref name="arguments"/>, then its codes
    /// (<see cref="Encode(ReadOnlySpan{float}, Span{byte})"/>) into <paramref name="codes"/>.
    /// </summary>
    public static void Encode(ReadOnlySpan<int> acc, float queryScale, ReadOnlySpan<float> keyScales, bool smoothQ,
        ReadOnlySpan<float> scores, int visibleKeys, float @base, Span<float> arguments, Span<byte> codes)
    {
        Form(acc, queryScale, keyScales, smoothQ, scores, visibleKeys, @base, arguments);
        Encode(arguments.Slice(0, scores.Length), codes);
    }

    /// <summary>
    /// <see cref="Code"/> on 16 lanes (codes in the low byte of each lane). Both fp16 roundings in fp32, exact where the
    /// value is an fp16 normal: for y in [2^e, 2^(e+1)) with e in [−14, 16], M = 1.5·2^(e+13) (y's exponent field plus
    /// 13, times 1.5) puts y + M in [2^(e+13), 2^(e+14)), where the fp32 ulp 2^(e−10) is y's fp16 ulp, so (y + M) − M is y
    /// rounded to fp16 with the unbounded exponent, ties to even, and the subtraction is exact. Then:
    /// h = round16(z) for z in [2^−14, 65536); below 2^−14 (and for z ≤ 0, −∞) h &lt; 0.5, so s = 1536, code 0 (z ≥ 65536
    /// and +∞: h = ∞, code 0). h + 1536 is exact in fp32 for h ≥ 0.5 (for h &lt; 0.5 it lies in [1536, 1536.5], which
    /// rounds to 1536 like the exact sum); s = round16(h + 1536) overflows to ∞ (code 0) exactly where it is ≥ 65536;
    /// otherwise s is an fp16 normal, and its fp32 bits shifted right by 13 hold its fp16 exponent and fraction, the
    /// fraction's low byte being the code (the exponent rebias, 112·2^10, leaves the low 10 bits alone).
    /// </summary>
    public static Vector512<uint> CodeVector(Vector512<float> z)
    {
        var exponentField = Vector512.Create(0x7F800000u);
        var magicExponent = Vector512.Create(13u << 23);
        var oneAndHalf = Vector512.Create(1.5f);
        var overflow = Vector512.Create(65536f);
        var m = ((z.AsUInt32() & exponentField) + magicExponent).AsSingle() * oneAndHalf;
        var h = (z + m) - m;
        var sum = h + Vector512.Create(IntegerShifter);
        var ms = ((sum.AsUInt32() & exponentField) + magicExponent).AsSingle() * oneAndHalf;
        var s = (sum + ms) - ms;
        var code = (s.AsUInt32() >>> 13) & Vector512.Create(0xFFu);
        var finite = Vector512.GreaterThanOrEqual(z, Vector512.Create(HalfMinNormal)) & Vector512.LessThan(z, overflow)
                     & Vector512.LessThan(s, overflow);
        code &= finite.AsUInt32();
        return Vector512.ConditionalSelect((~Vector512.Equals(z, z)).AsUInt32(), Vector512.Create((uint)NaNCode), code);
    }
}
