using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sage.Emulation.SpecialFunctions;

/// <summary>
/// <see cref="MufuExp2.EvaluateBits"/> on 16 lanes with AVX-512 (F, BW, VBMI), no gathers and no per-lane branches;
/// every lane equals the scalar model bit for bit (tests/Property/Emulation/MufuExp2Tests.cs compares the two on a
/// stride of all 2^32 inputs and on whole binades by default, and on every one of the 2^32 inputs in an explicit
/// test: 0 mismatches). Several times the AVX2 gather path's throughput (bench/Sage.Bench/MufuExp2Benchmarks.cs). The steps, each exact:
/// <list type="number">
/// <item>m = trunc(|x|·2^23) is a float product by a power of two (exact) and a truncating conversion (vcvttps2dq).
/// Subnormal x give m = 0, which the model's remaining steps turn into 1.0, the flush. |x| ≥ 128, inf and NaN are
/// first clamped to 128 (an integer min on the magnitude bits), which the steps below turn into +inf for x &gt; 0 and
/// +0 for x &lt; 0; NaN lanes are overwritten at the end.</item>
/// <item>k = (m XOR sign) mod 2^23 is f for x ≥ 0 and the ones' complement 2^23 − 1 − f for x &lt; 0.</item>
/// <item>The 64-entry coefficient tables are looked up in registers: two 32-entry vpermt2d (index bits 0..4)
/// and a select on index bit 5.</item>
/// <item>The truncated square, with d = dh·2^10 + dl (dh 7 bits b10..b16, dl 10 bits), is
/// q(d) = 2·dh² + Σ_{i=10..16} b_i·⌊dl / 2^(18−i)⌋: the partial products with both bits in dh all lie in
/// columns ≥ 20, those with both in dl all below 19, and a mixed row i keeps exactly dl's bits from 18 − i up
/// (proved by <c>The_truncated_square_has_the_split_form</c> over all 2^17 offsets). vpmultishiftqb places the
/// seven shifted dl fields, the seven bits b_i and dh, 2·dh as bytes, and two vpmaddubsw plus one vpmaddwd sum
/// the eight byte products (all sums below 2^15, so no saturation).</item>
/// <item>With C1' = C1 − 2^15 (a signed 16-bit word) and d = dh2·2^15 + dl15,
/// ⌊Y/2^15⌋ = ⌊C0/4⌋ + d + C1'·dh2 + ⌊v / 2^15⌋, v = (C0 mod 4)·2^13 + 0x17E2 + C1'·dl15 + C2·q, and |v| &lt; 2^31:
/// v is one vpmaddwd of the word pairs (C1', C2)·(dl15, q).</item>
/// <item>The result bits are (e + 126)·2^23 + s with e = n for x ≥ 0 and e = −n − 1 = n XOR −1 for x &lt; 0:
/// adding s (implicit bit included) carries into the field. A negative x with f = 0 needs exactly 2^−n; there
/// k = 2^23 − 1, s(k) = 2^24 − 1, and adding one more gives (−n − 1 + 126)·2^23 + 2^24 = 2^−n. A total below
/// 2^23 (field ≤ 0) is flushed to +0.</item>
/// </list>
/// </summary>
public static class MufuExp2Vector512
{
    /// <summary>Lanes per vector.</summary>
    public const int Lanes = 16;

    /// <summary>Whether this CPU runs the path (AVX-512 F and BW for the arithmetic, VBMI for vpmultishiftqb).</summary>
    public static bool IsSupported => Avx512F.IsSupported && Avx512BW.IsSupported && Avx512Vbmi.IsSupported;

    // The tables, as four registers each (entries 0-15, 16-31, 32-47, 48-63).
    // T0[j] = C0[j] + 126·2^25: T0 >> 2 is ⌊C0/4⌋ plus the exponent bias 126 at bit 23, T0 mod 4 = C0 mod 4
    // (C0 < 2^26, so the sum stays below 2^32).
    // W[j] = C2[j]·2^16 + (C1[j] − 2^15) mod 2^16: the word pair (C1', C2) for vpmaddwd.
    private static readonly Vector512<uint> s_t0A, s_t0B, s_t0C, s_t0D, s_wA, s_wB, s_wC, s_wD;

    static MufuExp2Vector512()
    {
        var t0 = new uint[64];
        var w = new uint[64];
        for (int j = 0; j < 64; j++)
        {
            t0[j] = MufuExp2.C0[j] + (126u << 25);
            w[j] = (uint)MufuExp2.C2[j] << 16 | (uint)(ushort)(MufuExp2.C1[j] - 32768);
        }
        s_t0A = Vector512.Create(t0.AsSpan(0, 16)); s_t0B = Vector512.Create(t0.AsSpan(16, 16));
        s_t0C = Vector512.Create(t0.AsSpan(32, 16)); s_t0D = Vector512.Create(t0.AsSpan(48, 16));
        s_wA = Vector512.Create(w.AsSpan(0, 16)); s_wB = Vector512.Create(w.AsSpan(16, 16));
        s_wC = Vector512.Create(w.AsSpan(32, 16)); s_wD = Vector512.Create(w.AsSpan(48, 16));
    }

    /// <summary>
    /// vpmultishiftqb control for one qword (two 32-bit lanes): byte b of the low lane takes the 8 bits of the qword
    /// from offset o_b, the high lane's from o_b + 32.
    /// </summary>
    private static Vector512<byte> Control(byte o0, byte o1, byte o2, byte o3) =>
        Vector512.Create((ulong)o0 | (ulong)o1 << 8 | (ulong)o2 << 16 | (ulong)o3 << 24
                         | (ulong)(o0 + 32) << 32 | (ulong)(o1 + 32) << 40 | (ulong)(o2 + 32) << 48 | (ulong)(o3 + 32) << 56).AsByte();

    // The byte fields of the truncated square, per 32-bit lane (offsets into k; bits of k above d are masked off).
    // Pair (byte) b of U and S multiplies: U1 = dl>>8, dl>>7, dl>>6, dl>>5 with S1 = b10, b11, b12, b13;
    // U2 = dl>>4, dl>>3, dl>>2, 2·dh with S2 = b14, b15, b16, dh.
    private static readonly Vector512<byte> s_controlU1 = Control(8, 7, 6, 5), s_controlS1 = Control(10, 11, 12, 13),
        s_controlU2 = Control(4, 3, 2, 9), s_controlS2 = Control(14, 15, 16, 10);

    private const uint MaskU1 = 0x1F0F0703, MaskS1 = 0x01010101, MaskU2 = 0xFEFF7F3F, MaskS2 = 0x7F010101;

    /// <summary>The model on 16 lanes (input and output float bits).</summary>
    public static Vector512<uint> EvaluateBits(Vector512<uint> bits)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("MufuExp2Vector512 needs AVX-512 F, BW and VBMI");
        return Evaluate16(bits.AsSingle());
    }

    /// <summary><see cref="MufuExp2.Evaluate(float)"/> on 16 lanes.</summary>
    public static Vector512<float> Evaluate(Vector512<float> x)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("MufuExp2Vector512 needs AVX-512 F, BW and VBMI");
        return Evaluate16(x).AsSingle();
    }

    /// <summary>
    /// destination[i] = <see cref="MufuExp2.Evaluate(float)"/>(scores[i] − base), 16 lanes at a time; the last
    /// partial vector goes through a padded copy, so every element takes this path. destination may be scores.
    /// </summary>
    public static unsafe void ExponentiateShifted(ReadOnlySpan<float> scores, float @base, Span<float> destination)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("MufuExp2Vector512 needs AVX-512 F, BW and VBMI");
        if (destination.Length < scores.Length)
            throw new ArgumentException($"destination has {destination.Length} elements, scores has {scores.Length}; expected at least as many", nameof(destination));
        int length = scores.Length, i = 0;
        var shift = Vector512.Create(@base);
        fixed (float* source = scores, target = destination)
        {
            for (; i + Lanes <= length; i += Lanes)
                Evaluate16(Vector512.Load(source + i) - shift).Store((uint*)(target + i));
        }
        if (i < length) EvaluateTail(scores[i..], shift, destination[i..length]);
    }

    /// <summary>The last partial vector, through a zero-padded copy (kept out of the main loop's method).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void EvaluateTail(ReadOnlySpan<float> scores, Vector512<float> shift, Span<float> destination)
    {
        Span<float> pad = stackalloc float[Lanes];
        pad.Clear();
        scores.CopyTo(pad);
        (Evaluate16(Vector512.Create<float>(pad) - shift).AsSingle()).CopyTo(pad);
        pad[..scores.Length].CopyTo(destination);
    }

    /// <summary>Entry j of a 64-entry table held in four registers (index bits above 5 are ignored).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Lookup64(Vector512<uint> index, Vector512<uint> upperHalf,
        Vector512<uint> a, Vector512<uint> b, Vector512<uint> c, Vector512<uint> d) =>
        Vector512.ConditionalSelect(upperHalf, Avx512F.PermuteVar16x32x2(c, index, d), Avx512F.PermuteVar16x32x2(a, index, b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Evaluate16(Vector512<float> x)
    {
        var bits = x.AsUInt32();
        var magnitude = bits & Vector512.Create(0x7FFFFFFFu);
        var negative = Vector512.ShiftRightArithmetic(bits.AsInt32(), 31).AsUInt32();
        // |x| ≥ 128 (inf and NaN included) is clamped to 128: then n = 128, f = 0, and the steps below give
        // (128 + 126)·2^23 + 2^23 = +inf for x > 0 and (−129 + 126)·2^23 + 2^24 < 2^23, flushed to +0, for x < 0.
        var clamped = Vector512.Min(magnitude, Vector512.Create(0x43000000u));
        var m = Avx512F.ConvertToVector512Int32WithTruncation(clamped.AsSingle() * Vector512.Create(8388608f)).AsUInt32();
        var k = (m ^ negative) & Vector512.Create((1u << MufuExp2.FractionBits) - 1);
        var d = k & Vector512.Create((1u << MufuExp2.OffsetBits) - 1);

        var index = k >> MufuExp2.OffsetBits;
        var upperHalf = Vector512.ShiftRightArithmetic((k << 9).AsInt32(), 31).AsUInt32();   // index bit 5
        var t0 = Lookup64(index, upperHalf, s_t0A, s_t0B, s_t0C, s_t0D);
        var w = Lookup64(index, upperHalf, s_wA, s_wB, s_wC, s_wD);

        // q(d): eight byte products, summed in words then in the dword.
        var kq = k.AsUInt64();
        var u1 = Avx512Vbmi.MultiShift(s_controlU1, kq) & Vector512.Create(MaskU1).AsByte();
        var s1 = Avx512Vbmi.MultiShift(s_controlS1, kq) & Vector512.Create(MaskS1).AsByte();
        var u2 = Avx512Vbmi.MultiShift(s_controlU2, kq) & Vector512.Create(MaskU2).AsByte();
        var s2 = Avx512Vbmi.MultiShift(s_controlS2, kq) & Vector512.Create(MaskS2).AsByte();
        var words = Avx512BW.MultiplyAddAdjacent(u1, s1.AsSByte()) + Avx512BW.MultiplyAddAdjacent(u2, s2.AsSByte());
        var q = Avx512BW.MultiplyAddAdjacent(words, Vector512<short>.One).AsUInt32();

        // Y / 2^15 in 32-bit lanes (see the class remarks).
        var low = ((t0 << 13) & Vector512.Create(0x6000u)) | Vector512.Create((uint)MufuExp2.RoundingConstant);
        var pair = (q << 16) | (d & Vector512.Create(0x7FFFu));
        var v = low.AsInt32() + Avx512BW.MultiplyAddAdjacent(w.AsInt16(), pair.AsInt16());
        var high = Avx512BW.MultiplyAddAdjacent(w.AsInt16(), (d >> 15).AsInt16()).AsUInt32();
        var s = (t0 >> 2) + d + high + Vector512.ShiftRightArithmetic(v, MufuExp2.GuardBits).AsUInt32();

        // Result bits: (e + 126)·2^23 + s, e·2^23 = (m XOR sign) with the fraction cleared; +1 for x < 0 with f = 0,
        // the lanes where k = 2^23 − 1 and the sign is set ((k + 1) >> 23 is 1 exactly there).
        var total = ((m ^ negative) & Vector512.Create(0xFF800000u)) + s + (((k + Vector512<uint>.One) >> MufuExp2.FractionBits) & negative);
        var result = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(total.AsInt32(), Vector512.Create(1 << 23)).AsUInt32(), total, Vector512<uint>.Zero);
        var nan = Vector512.GreaterThan(magnitude, Vector512.Create(0x7F800000u));
        return Vector512.ConditionalSelect(nan, Vector512.Create(0x7FFFFFFFu), result);
    }
}
