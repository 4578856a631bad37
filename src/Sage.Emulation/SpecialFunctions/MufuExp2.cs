using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sage.Emulation.SpecialFunctions;

/// <summary>
/// Bit-exact model of the H100's <c>ex2.approx.ftz.f32</c> (SASS <c>MUFU.EX2</c>), derived on the device and checked
/// there against all 2^32 float inputs (docs/tensor-core-numerics.md, "MUFU.EX2: the exact model"). The unit is a
/// table-driven quadratic interpolator:
/// <list type="number">
/// <item>NaN → 0x7FFFFFFF (canonical, payload and sign dropped); +inf and x ≥ 128 → +inf; −inf and x ≤ −128 → +0;
/// ±0 and subnormal inputs (flushed) → 1.</item>
/// <item>|x| becomes a fixed-point number m = trunc(|x|·2^23) (23 fraction bits, extra bits dropped);
/// n = m &gt;&gt; 23, f = m mod 2^23.</item>
/// <item>x &gt; 0: 2^n · s(f). x &lt; 0: the fraction is the ones' complement of f (not the two's complement):
/// 2^(−n−1) · s(2^23 − 1 − f), except f = 0, which gives exactly 2^−n. (So a negative non-integer
/// is evaluated as if x were 2^−23 more negative: results are up to one step low.)</item>
/// <item>s(k) ∈ [1, 2), the significand for 2^(k/2^23), is <see cref="Significand"/>: segment j = k &gt;&gt; 17 (64 segments),
/// offset d = k mod 2^17; Y = C0[j]·2^13 + 0x17E2 + C1[j]·d + C2[j]·q(d) in units of 2^−38; s = ⌊Y / 2^15⌋·2^−23.
/// q(d) is the truncated square <see cref="TruncatedSquare"/>.</item>
/// <item>A result below 2^−126 is +0 (ftz), none reaches 2^128 below x = 128.</item>
/// </list>
/// The CUDA side is <c>sage_mufu_exp2</c> (src/Sage.Cuda/Kernels/Probes/mufu_exp2.cuh).
/// </summary>
public static class MufuExp2
{
    /// <summary>Fraction bits of the fixed-point input.</summary>
    public const int FractionBits = 23;

    /// <summary>Fraction bits that select the segment (64 segments).</summary>
    public const int SegmentBits = 6;

    /// <summary>Fraction bits of the offset d inside a segment.</summary>
    public const int OffsetBits = FractionBits - SegmentBits;

    /// <summary>Partial-product columns of d·d below this one are left out of the squarer (no carries from them).</summary>
    public const int SquareDroppedColumns = 19;

    /// <summary>Added to Y before the truncation to 23 significand bits (units of 2^−38).</summary>
    public const long RoundingConstant = 0x17E2;

    /// <summary>Bits of Y below the significand's last place.</summary>
    public const int GuardBits = 15;

    /// <summary>C0 per segment: 26 bits, units of 2^−25 (so C0[0] = 1 + 3·2^−25).</summary>
    public static ReadOnlySpan<uint> C0 =>
    [
        0x2000003, 0x205934A, 0x20B361E, 0x210E8A5, 0x216AB12, 0x21C7D89, 0x222603C, 0x2285359,
        0x22E570C, 0x2346B81, 0x23A90E8, 0x240C775, 0x2470F51, 0x24D68B0, 0x253D3C3, 0x25A50B9,
        0x260DFC5, 0x267811A, 0x26E34E9, 0x274FB6A, 0x27BD4CC, 0x282C148, 0x289C10E, 0x290D459,
        0x297FB5D, 0x29F3651, 0x2A6856D, 0x2ADE8EA, 0x2B560FE, 0x2BCEDE5, 0x2C48FDA, 0x2CC4713,
        0x2D413CF, 0x2DBF64B, 0x2E3EEC1, 0x2EBFD6D, 0x2F42291, 0x2FC5E6A, 0x304B137, 0x30D1B36,
        0x3159CAB, 0x31E35D6, 0x326E6FA, 0x32FB057, 0x3389233, 0x3418CD2, 0x34AA079, 0x353CD6D,
        0x35D13F7, 0x366745A, 0x36FEEE1, 0x37983D6, 0x3833380, 0x38CFE2A, 0x396E41F, 0x3A0E5AD,
        0x3AB0320, 0x3B53CC4, 0x3BF92EA, 0x3CA05E0, 0x3D495F8, 0x3DF4382, 0x3EA0ECF, 0x3F4F834,
    ];

    /// <summary>C1 per segment: 16 bits; C1·d is in units of 2^−38.</summary>
    public static ReadOnlySpan<ushort> C1 =>
    [
        22713, 22960, 23210, 23463, 23718, 23977, 24238, 24502, 24768, 25038, 25311, 25586, 25865, 26147, 26431, 26719,
        27010, 27304, 27602, 27902, 28206, 28513, 28824, 29138, 29455, 29776, 30100, 30428, 30759, 31094, 31432, 31775,
        32121, 32471, 32824, 33182, 33543, 33908, 34277, 34651, 35028, 35409, 35795, 36185, 36579, 36977, 37380, 37787,
        38198, 38614, 39035, 39460, 39889, 40324, 40763, 41207, 41655, 42109, 42568, 43031, 43500, 43973, 44452, 44936,
    ];

    /// <summary>C2 per segment: 10 bits; C2·q(d) is in units of 2^−38.</summary>
    public static ReadOnlySpan<ushort> C2 =>
    [
        494, 501, 506, 511, 518, 521, 527, 532, 541, 546, 551, 559, 564, 568, 577, 583,
        589, 596, 600, 609, 615, 622, 627, 633, 641, 647, 655, 661, 670, 677, 686, 691,
        699, 705, 715, 721, 730, 739, 748, 753, 763, 773, 779, 787, 796, 806, 813, 822,
        833, 842, 849, 858, 870, 877, 887, 896, 909, 917, 925, 938, 946, 959, 969, 980,
    ];

    private static readonly int[] s_square = BuildSquares();

    /// <summary>
    /// The squarer's output for a 17-bit offset d: the sum of the partial-product bits of d·d
    /// (b_i·2^(2i) and 2·b_i·b_j·2^(i+j), i &lt; j) whose column is at least <see cref="SquareDroppedColumns"/>,
    /// divided by 2^19. It is at most ⌊d²/2^19⌋ (the dropped columns' carries are lost).
    /// </summary>
    public static int TruncatedSquare(int d)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(d);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(d, 1 << OffsetBits);
        return s_square[d];
    }

    private static int[] BuildSquares()
    {
        var squares = new int[1 << OffsetBits];
        for (int d = 0; d < squares.Length; d++)
        {
            long sum = 0;
            for (int i = 0; i < OffsetBits; i++)
            {
                if ((d >> i & 1) == 0) continue;
                if (2 * i >= SquareDroppedColumns) sum += 1L << (2 * i);
                for (int j = i + 1; j < OffsetBits; j++)
                    if ((d >> j & 1) != 0 && i + j + 1 >= SquareDroppedColumns) sum += 1L << (i + j + 1);
            }
            squares[d] = (int)(sum >> SquareDroppedColumns);
        }
        return squares;
    }

    /// <summary>
    /// The interpolator's significand for 2^(k/2^23), k ∈ [0, 2^23), as an integer in [2^23, 2^24) (units of 2^−23).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Significand(int k)
    {
        int j = k >> OffsetBits, d = k & ((1 << OffsetBits) - 1);
        long y = ((long)C0[j] << 13) + RoundingConstant + (long)C1[j] * d + (long)C2[j] * s_square[d];
        return (uint)(y >> GuardBits);
    }

    /// <summary><c>ex2.approx.ftz.f32</c> of x, bit for bit as the H100 computes it.</summary>
    public static float Evaluate(float x) => BitConverter.UInt32BitsToSingle(EvaluateBits(BitConverter.SingleToUInt32Bits(x)));

    /// <summary><see cref="Evaluate(float)"/> on every element (result may alias x).</summary>
    public static void Evaluate(ReadOnlySpan<float> x, Span<float> result) => ExponentiateShifted(x, 0f, result);

    /// <summary>
    /// destination[i] = <see cref="Evaluate(float)"/>(scores[i] − base) for every element (the P of one row's tile),
    /// the fp32 subtraction first. Runs the widest path this CPU has (<see cref="SpanPath"/>): 16 lanes with AVX-512
    /// (<see cref="MufuExp2Vector512"/>), else 8 lanes with AVX2 gathers (three per vector), else the scalar model; every path equals
    /// the scalar function bit for bit. destination may be scores (in place).
    /// </summary>
    public static void ExponentiateShifted(ReadOnlySpan<float> scores, float @base, Span<float> destination)
    {
        if (MufuExp2Vector512.IsSupported) MufuExp2Vector512.ExponentiateShifted(scores, @base, destination);
        else if (Avx2.IsSupported) ExponentiateShiftedAvx2(scores, @base, destination);
        else ExponentiateShiftedScalar(scores, @base, destination);
    }

    /// <summary>The path <see cref="ExponentiateShifted"/> takes on this CPU: "Vector512", "AVX2" or "scalar".</summary>
    public static string SpanPath => MufuExp2Vector512.IsSupported ? "Vector512" : Avx2.IsSupported ? "AVX2" : "scalar";

    /// <summary><see cref="ExponentiateShifted"/> on the scalar model only (the reference the vector paths are tested against).</summary>
    public static void ExponentiateShiftedScalar(ReadOnlySpan<float> scores, float @base, Span<float> destination)
    {
        CheckDestination(scores, destination);
        for (int i = 0; i < scores.Length; i++) destination[i] = Evaluate(scores[i] - @base);
    }

    /// <summary><see cref="ExponentiateShifted"/> on the AVX2 path (8 lanes, gathers; the tail on the scalar model).</summary>
    public static void ExponentiateShiftedAvx2(ReadOnlySpan<float> scores, float @base, Span<float> destination)
    {
        if (!Avx2.IsSupported) throw new PlatformNotSupportedException("MufuExp2.ExponentiateShiftedAvx2 needs AVX2");
        CheckDestination(scores, destination);
        int i = ExponentiateShiftedAvx2Body(scores, @base, destination);
        for (; i < scores.Length; i++) destination[i] = Evaluate(scores[i] - @base);
    }

    private static void CheckDestination(ReadOnlySpan<float> scores, Span<float> destination)
    {
        if (destination.Length < scores.Length)
            throw new ArgumentException($"destination has {destination.Length} elements, scores has {scores.Length}; expected at least as many", nameof(destination));
    }

    // The gather tables: T0[j] = C0[j] + 126·2^25 and W[j] = C2[j]·2^16 + (C1[j] − 2^15) mod 2^16, as in
    // MufuExp2Vector512 (whose remarks derive the arithmetic below), and the truncated squares.
    private static readonly int[] s_t0 = BuildT0(), s_w = BuildW();

    private static int[] BuildT0() { var a = new int[64]; for (int j = 0; j < 64; j++) a[j] = (int)(C0[j] + (126u << 25)); return a; }

    private static int[] BuildW() { var a = new int[64]; for (int j = 0; j < 64; j++) a[j] = C2[j] << 16 | (ushort)(C1[j] - 32768); return a; }

    private static unsafe int ExponentiateShiftedAvx2Body(ReadOnlySpan<float> scores, float @base, Span<float> destination)
    {
        int i = 0;
        fixed (int* t0 = s_t0, w = s_w, square = s_square)
        fixed (float* source = scores, target = destination)
        {
            var shift = Vector256.Create(@base);
            for (; i + 8 <= scores.Length; i += 8)
                Evaluate8(Vector256.Load(source + i) - shift, t0, w, square).AsSingle().Store(target + i);
        }
        return i;
    }

    /// <summary>
    /// <see cref="EvaluateBits"/> on 8 lanes: the steps of <see cref="MufuExp2Vector512"/> with three gathers
    /// (T0 and W by segment, q(d) from the 2^17-entry squarer table) in place of the in-register lookups.
    /// </summary>
    private static unsafe Vector256<uint> Evaluate8(Vector256<float> x, int* t0Table, int* wTable, int* square)
    {
        var bits = x.AsUInt32();
        var magnitude = bits & Vector256.Create(0x7FFFFFFFu);
        var negative = Vector256.ShiftRightArithmetic(bits.AsInt32(), 31).AsUInt32();
        var clamped = Vector256.Min(magnitude, Vector256.Create(0x43000000u));   // |x| ≥ 128, inf, NaN → 128
        var m = Avx.ConvertToVector256Int32WithTruncation(clamped.AsSingle() * Vector256.Create(8388608f)).AsUInt32();
        var k = (m ^ negative) & Vector256.Create((1u << FractionBits) - 1);
        var d = k & Vector256.Create((1u << OffsetBits) - 1);
        var j = (k >> OffsetBits).AsInt32();
        var t0 = Avx2.GatherVector256(t0Table, j, 4).AsUInt32();
        var w = Avx2.GatherVector256(wTable, j, 4).AsInt16();
        var q = Avx2.GatherVector256(square, d.AsInt32(), 4).AsUInt32();
        var low = ((t0 << 13) & Vector256.Create(0x6000u)) | Vector256.Create((uint)RoundingConstant);
        var pair = (q << 16) | (d & Vector256.Create(0x7FFFu));
        var v = low.AsInt32() + Avx2.MultiplyAddAdjacent(w, pair.AsInt16());
        var high = Avx2.MultiplyAddAdjacent(w, (d >> 15).AsInt16()).AsUInt32();
        var s = (t0 >> 2) + d + high + Vector256.ShiftRightArithmetic(v, GuardBits).AsUInt32();
        var total = ((m ^ negative) & Vector256.Create(0xFF800000u)) + s + (((k + Vector256<uint>.One) >> FractionBits) & negative);
        var result = Vector256.AndNot(total, Vector256.LessThan(total.AsInt32(), Vector256.Create(1 << 23)).AsUInt32());
        var nan = Vector256.GreaterThan(magnitude, Vector256.Create(0x7F800000u));
        return Vector256.ConditionalSelect(nan, Vector256.Create(0x7FFFFFFFu), result);
    }

    /// <summary>The model on bit patterns (input and output float32 bits).</summary>
    public static uint EvaluateBits(uint bits)
    {
        const uint PositiveInfinity = 0x7F800000, CanonicalNaN = 0x7FFFFFFF, One = 0x3F800000;
        uint field = bits >> 23 & 0xFF;
        bool negative = bits >> 31 != 0;
        if (field == 0xFF) return (bits & 0x7FFFFF) != 0 ? CanonicalNaN : negative ? 0u : PositiveInfinity;
        if (field == 0) return One;                               // ±0 and flushed subnormals
        if (field >= 127 + 7) return negative ? 0u : PositiveInfinity; // |x| ≥ 128
        // m = trunc(|x|·2^23): |x| = significand·2^(field−150), so m = significand·2^(field−127), below 2^30.
        uint significand = bits & 0x7FFFFF | 0x800000;
        int shift = (int)field - 127;
        uint m = shift >= 0 ? significand << shift : shift > -24 ? significand >> -shift : 0;
        int n = (int)(m >> FractionBits);
        int f = (int)(m & ((1u << FractionBits) - 1));
        int exponent;
        uint s;
        if (!negative) { exponent = n; s = Significand(f); }
        else if (f == 0) { exponent = -n; s = 1u << FractionBits; }
        else { exponent = -n - 1; s = Significand((1 << FractionBits) - 1 - f); }
        int resultField = 127 + exponent;
        if (resultField <= 0) return 0u;                          // ftz
        return (uint)resultField << 23 | s & 0x7FFFFF;            // s < 2^24 and |x| < 128 keep the field below 255
    }
}
