using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Sage.Emulation.TensorCores;

/// <summary>How an FP8 variant's instruction is carried out on the card.</summary>
public enum Fp8Datapath
{
    /// <summary>
    /// Native FP8 tensor-core dot-add (Hopper QGMMA / Ada): per block, the exact products (FP8 operand exponents,
    /// subnormals pinned at the FP8 minimum) and, in the first block, C are aligned to the largest exponent among
    /// them and summed as one fused sum.
    /// </summary>
    FusedFp8,

    /// <summary>
    /// What ptxas emits for `mma.sync ... e4m3/e5m2` on sm_90 (no FP8 mma.sync in the hardware): the operands are
    /// widened to FP16 (F2FP.F16.E4M3.UNPACK_B, exact) and fed to two HMMA.16816 with a zero accumulator, the first
    /// taking the products whose k mod 4 is 0 or 1, the second the rest (chained through the accumulator);
    /// C is then added with one IEEE round-to-nearest addition (FADD, or HADD2 for FP16).
    /// </summary>
    Fp16HmmaEmulation,
}

/// <summary>
/// Parameters of the fused dot-add family: each term keeps <see cref="AlignmentFractionBits"/> bits below the
/// largest exponent (product exponent = sum of the operand exponents, so a product significand lies in [1,4)),
/// the rest cut toward zero; the exact sum is written to the accumulator: FP32 truncated toward zero to
/// <see cref="Fp32OutputFractionBits"/> fraction bits, FP16 rounded to nearest-even (overflow to ±inf).
/// </summary>
public sealed record Fp8DotParameters(
    Fp8Datapath Datapath,
    int BlockSize,
    int AlignmentFractionBits,
    int Fp32OutputFractionBits,
    uint Fp32NaNBits,
    ushort Fp16NaNBits);

/// <summary>
/// An FP8 tensor-core variant (wgmma/mma.sync, E4M3/E5M2, FP32/FP16 accumulator) as an exact integer model.
/// <see cref="DotBytes"/> is the fast path (FP8 bit patterns in, table-driven, no floating point in the sum).
/// </summary>
public sealed class Fp8FusedDotModel : IDotProductModel
{
    private const int ZeroExponent = -10000;

    // One exact product: Significand·2^ValueExponent; AlignExponent is the exponent the hardware aligns by.
    private readonly struct Product(int significand, int alignExponent, int valueExponent, byte cls)
    {
        public readonly int Significand = significand;
        public readonly short AlignExponent = (short)alignExponent;
        public readonly short ValueExponent = (short)valueExponent;
        public readonly byte Class = cls; // 0 finite, 1 infinite (Significand = ±1), 2 NaN
    }

    private readonly Product[] _products;

    // Fast path of the native FP8 datapath: one int per (a,b) byte pair: bits 0..15 the signed significand product,
    // bits 16..23 the exponent sum + 64 (0 for a zero product), bit 24 set for NaN/inf products.
    private readonly int[] _packed;
    private readonly int _productPreShift; // AlignmentFractionBits − 2·(FP8 fraction bits)
    private readonly bool _vectorPath;

    public Fp8FusedDotModel(string name, MmaInputFormat input, MmaAccumulator accumulator, Fp8DotParameters parameters,
        bool verifiedOnHardware, string provenance, int k = 32)
    {
        if (input is not (MmaInputFormat.E4M3 or MmaInputFormat.E5M2))
            throw new ArgumentOutOfRangeException(nameof(input), input, "expected E4M3 or E5M2");
        if (accumulator is not (MmaAccumulator.Fp32 or MmaAccumulator.Fp16))
            throw new ArgumentOutOfRangeException(nameof(accumulator), accumulator, "expected Fp32 or Fp16");
        if (parameters.BlockSize <= 0 || k % parameters.BlockSize != 0)
            throw new ArgumentOutOfRangeException(nameof(parameters), parameters.BlockSize, $"block size must divide K={k}");
        Name = name; Input = input; Accumulator = accumulator; Parameters = parameters; K = k;
        VerifiedOnHardware = verifiedOnHardware; Provenance = provenance;
        _products = BuildProductTable(input, parameters.Datapath == Fp8Datapath.Fp16HmmaEmulation);
        _packed = BuildPackedTable(_products);
        _productPreShift = parameters.AlignmentFractionBits - 2 * Fp8Codec.FractionBits(input);
        if (_productPreShift < 0 || _productPreShift > 30)
            throw new ArgumentOutOfRangeException(nameof(parameters), parameters.AlignmentFractionBits, "alignment bits out of the modelled range");
        _vectorPath = Avx2.IsSupported;
    }

    private Fp8FusedDotModel(Fp8FusedDotModel source, bool vectorPath)
    {
        Name = source.Name; Input = source.Input; Accumulator = source.Accumulator; Parameters = source.Parameters; K = source.K;
        VerifiedOnHardware = source.VerifiedOnHardware; Provenance = source.Provenance;
        _products = source._products; _packed = source._packed; _productPreShift = source._productPreShift;
        _vectorPath = vectorPath && Avx2.IsSupported;
    }

    /// <summary>True when <see cref="DotBytes"/> takes the AVX2 path for blocks of 32 (same results, faster).</summary>
    public bool UsesVectorPath => _vectorPath;

    /// <summary>The same model with the AVX2 path switched off (for testing the scalar path against the record).</summary>
    public Fp8FusedDotModel WithoutVectorPath() => new(this, vectorPath: false);

    public string Name { get; }
    public MmaInputFormat Input { get; }
    public MmaAccumulator Accumulator { get; }
    public int K { get; }
    public bool VerifiedOnHardware { get; }
    public string Provenance { get; }
    public Fp8DotParameters Parameters { get; }

    public override string ToString() =>
        $"{Name} (K={K}, {Parameters.Datapath}, block {Parameters.BlockSize}, {Parameters.AlignmentFractionBits} alignment bits, verified={VerifiedOnHardware})";

    public float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float c)
    {
        if (a.Length != K) throw new ArgumentException($"expected {K} values, got {a.Length}", nameof(a));
        if (b.Length != K) throw new ArgumentException($"expected {K} values, got {b.Length}", nameof(b));
        Span<byte> ab = stackalloc byte[K];
        Span<byte> bb = stackalloc byte[K];
        for (int i = 0; i < K; i++)
        {
            ab[i] = Fp8Codec.Encode(Input, a[i], nameof(a));
            bb[i] = Fp8Codec.Encode(Input, b[i], nameof(b));
        }
        if (Accumulator == MmaAccumulator.Fp16 && !float.IsNaN(c) && (float)(Half)c != c)
            throw new ArgumentException($"c = {c:R} is not exactly representable in FP16", nameof(c));
        return DotBytes(ab, bb, c);
    }

    public int DotInt32(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b, int c) =>
        throw new NotSupportedException($"{Name} is a floating-point variant; use Dot or DotBytes");

    /// <summary>
    /// D = A·B + C for FP8 bit patterns. The length must be a multiple of <see cref="K"/>: several K-chunks are a
    /// chain of instructions, each taking the previous result as C (as a k-loop over wgmma does).
    /// For an FP16 accumulator, <paramref name="c"/> must be an FP16 value widened to float and the result is one.
    /// </summary>
    public float DotBytes(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, float c)
    {
        if (a.Length != b.Length || a.Length % K != 0 || a.Length == 0)
            throw new ArgumentException($"a and b must have the same length, a positive multiple of K={K}; got {a.Length} and {b.Length}", nameof(a));
        if (Parameters.Datapath == Fp8Datapath.FusedFp8)
        {
            int block = Parameters.BlockSize;
            for (int start = 0; start < a.Length; start += block)
                c = FusedFp8Block(a.Slice(start, block), b.Slice(start, block), c);
            return c;
        }
        for (int start = 0; start < a.Length; start += K)
        {
            var sa = a.Slice(start, K);
            var sb = b.Slice(start, K);
            float d = FusedBlock(sa, sb, 0f, 0, 2);  // k mod 4 ∈ {0,1}
            d = FusedBlock(sa, sb, d, 2, 2);         // k mod 4 ∈ {2,3}
            // FADD/HADD2 return the canonical NaN (0x7FFFFFFF / 0x7FFF) for any NaN result, inf − inf included.
            float sum = Accumulator == MmaAccumulator.Fp16 ? AddHalf(d, c) : d + c;
            c = float.IsNaN(sum) ? NaNResult() : sum;
        }
        return c;
    }

    /// <summary>
    /// D[i,j] = chain over k of A[i,:]·B[:,j] + C[i,j]; A is m×k row-major FP8 bytes, <paramref name="bT"/> is B
    /// transposed (n×k row-major, i.e. each column of B contiguous), C/D m×n row-major, updated in place.
    /// </summary>
    public void MultiplyAccumulate(ReadOnlySpan<byte> a, ReadOnlySpan<byte> bT, Span<float> cd, int m, int n, int k)
    {
        if (k <= 0 || k % K != 0) throw new ArgumentOutOfRangeException(nameof(k), k, $"expected a positive multiple of {K}");
        if (a.Length < m * k) throw new ArgumentException($"a holds {a.Length} bytes, expected m·k = {m * k}", nameof(a));
        if (bT.Length < n * k) throw new ArgumentException($"bT holds {bT.Length} bytes, expected n·k = {n * k}", nameof(bT));
        if (cd.Length < m * n) throw new ArgumentException($"cd holds {cd.Length} values, expected m·n = {m * n}", nameof(cd));
        for (int i = 0; i < m; i++)
        {
            var row = a.Slice(i * k, k);
            for (int j = 0; j < n; j++)
                cd[i * n + j] = DotBytes(row, bT.Slice(j * k, k), cd[i * n + j]);
        }
    }

    // The products a[i]·b[i] for i with (i mod 4) in [phase, phase+width) when width is 2, all i when width is 1.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Selected(int i, int phase, int width) => width == 1 || ((i & 3) >> 1) == (phase >> 1);

    // The native path without the generic machinery: one table load per product, branch-free alignment.
    private float FusedFp8Block(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, float c)
    {
        int n = a.Length;
        if (n == 32 && _vectorPath) return FusedFp8Block32Avx2(a, b, c);
        if (n > 64) return FusedBlock(a, b, c, 0, 1);
        Span<int> packed = stackalloc int[64];
        ref int table = ref MemoryMarshal.GetArrayDataReference(_packed);
        ref byte ra = ref MemoryMarshal.GetReference(a);
        ref byte rb = ref MemoryMarshal.GetReference(b);
        int maxField = 0, special = 0;
        for (int i = 0; i < n; i++)
        {
            int p = Unsafe.Add(ref table, (Unsafe.Add(ref ra, i) << 8) | Unsafe.Add(ref rb, i));
            packed[i] = p;
            special |= p;
            maxField = Math.Max(maxField, (p >> 16) & 0xFF);
        }
        uint cBits = BitConverter.SingleToUInt32Bits(c);
        if ((special & (1 << 24)) != 0 || (cBits & 0x7F80_0000u) == 0x7F80_0000u) return FusedBlock(a, b, c, 0, 1);

        bool fp16 = Accumulator == MmaAccumulator.Fp16;
        DecodeAccumulator(c, cBits, fp16, out long cSig, out int cExp, out int cFrac);
        int maxExp = maxField == 0 ? int.MinValue : maxField - 64;
        if (cSig != 0 && cExp > maxExp) maxExp = cExp;
        if (maxExp == int.MinValue) return 0f; // every term zero

        int pre = _productPreShift;
        long sum = 0;
        for (int i = 0; i < n; i++)
        {
            int p = packed[i];
            int sig = (short)p;
            int d = Math.Min(maxExp - (((p >> 16) & 0xFF) - 64), 63);
            long mag = ((long)Math.Abs(sig) << pre) >> d; // zero products have sig 0
            long s = sig >> 31;
            sum += (mag ^ s) - s;
        }
        return FinishFused(sum, maxExp, cSig, cExp, cFrac, cBits, fp16);
    }

    // The same block of 32 with AVX2: four gathers of eight packed products, per-lane variable shifts
    // (a count of 32 or more gives 0, which is the truncation of a term far below the largest exponent).
    // Every aligned product magnitude is below 2^17 and the 32 of them sum below 2^22: 32-bit lanes suffice.
    private unsafe float FusedFp8Block32Avx2(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, float c)
    {
        Vector256<int> p0, p1, p2, p3;
        fixed (int* table = _packed)
        fixed (byte* pa = a)
        fixed (byte* pb = b)
        {
            p0 = Avx2.GatherVector256(table, Avx2.Or(Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(pa), 8), Avx2.ConvertToVector256Int32(pb)), 4);
            p1 = Avx2.GatherVector256(table, Avx2.Or(Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(pa + 8), 8), Avx2.ConvertToVector256Int32(pb + 8)), 4);
            p2 = Avx2.GatherVector256(table, Avx2.Or(Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(pa + 16), 8), Avx2.ConvertToVector256Int32(pb + 16)), 4);
            p3 = Avx2.GatherVector256(table, Avx2.Or(Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(pa + 24), 8), Avx2.ConvertToVector256Int32(pb + 24)), 4);
        }
        uint cBits = BitConverter.SingleToUInt32Bits(c);
        var any = Avx2.Or(Avx2.Or(p0, p1), Avx2.Or(p2, p3));
        var specialBit = Vector256.Create(1 << 24);
        if (!Avx2.And(any, specialBit).Equals(Vector256<int>.Zero) || (cBits & 0x7F80_0000u) == 0x7F80_0000u)
            return FusedBlock(a, b, c, 0, 1);

        var byteMask = Vector256.Create(0xFF);
        var f0 = Avx2.And(Avx2.ShiftRightLogical(p0, 16), byteMask);
        var f1 = Avx2.And(Avx2.ShiftRightLogical(p1, 16), byteMask);
        var f2 = Avx2.And(Avx2.ShiftRightLogical(p2, 16), byteMask);
        var f3 = Avx2.And(Avx2.ShiftRightLogical(p3, 16), byteMask);
        var fm = Avx2.Max(Avx2.Max(f0, f1), Avx2.Max(f2, f3));
        var fm4 = Sse41.Max(fm.GetLower(), fm.GetUpper());
        fm4 = Sse41.Max(fm4, Sse2.Shuffle(fm4, 0b_01_00_11_10));
        fm4 = Sse41.Max(fm4, Sse2.Shuffle(fm4, 0b_10_11_00_01));
        int maxField = fm4.ToScalar();

        bool fp16 = Accumulator == MmaAccumulator.Fp16;
        DecodeAccumulator(c, cBits, fp16, out long cSig, out int cExp, out int cFrac);
        int maxExp = maxField == 0 ? int.MinValue : maxField - 64;
        if (cSig != 0 && cExp > maxExp) maxExp = cExp;
        if (maxExp == int.MinValue) return 0f;

        // d = maxExp − (field − 64) per lane; zero products have field 0 and significand 0, so their d does not matter.
        var top = Vector256.Create(maxExp + 64);
        var pre = Vector128.CreateScalar(_productPreShift);
        var acc = AlignedSum(p0, Avx2.Subtract(top, f0), pre);
        acc = Avx2.Add(acc, AlignedSum(p1, Avx2.Subtract(top, f1), pre));
        acc = Avx2.Add(acc, AlignedSum(p2, Avx2.Subtract(top, f2), pre));
        acc = Avx2.Add(acc, AlignedSum(p3, Avx2.Subtract(top, f3), pre));
        var s4 = Sse2.Add(acc.GetLower(), acc.GetUpper());
        s4 = Sse2.Add(s4, Sse2.Shuffle(s4, 0b_01_00_11_10));
        s4 = Sse2.Add(s4, Sse2.Shuffle(s4, 0b_10_11_00_01));
        long sum = s4.ToScalar();
        return FinishFused(sum, maxExp, cSig, cExp, cFrac, cBits, fp16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> AlignedSum(Vector256<int> packed, Vector256<int> shift, Vector128<int> pre)
    {
        var sig = Avx2.ShiftRightArithmetic(Avx2.ShiftLeftLogical(packed, 16), 16);
        var mag = Avx2.ShiftLeftLogical(Avx2.Abs(sig).AsInt32(), pre);
        var cut = Avx2.ShiftRightLogicalVariable(mag.AsUInt32(), shift.AsUInt32()).AsInt32();
        var sign = Avx2.ShiftRightArithmetic(sig, 31);
        return Avx2.Subtract(Avx2.Xor(cut, sign), sign);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void DecodeAccumulator(float c, uint cBits, bool fp16, out long cSig, out int cExp, out int cFrac)
    {
        if (fp16)
        {
            ushort h = BitConverter.HalfToUInt16Bits((Half)c);
            int field = (h >> 10) & 0x1F;
            cSig = field == 0 ? h & 0x3FF : (h & 0x3FF) | 0x400;
            cExp = field == 0 ? -14 : field - 15; cFrac = 10;
        }
        else
        {
            int field = (int)((cBits >> 23) & 0xFF);
            cSig = field == 0 ? cBits & 0x7FFFFF : (cBits & 0x7FFFFF) | 0x800000;
            cExp = field == 0 ? -126 : field - 127; cFrac = 23;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float FinishFused(long sum, int maxExp, long cSig, int cExp, int cFrac, uint cBits, bool fp16)
    {
        int f = Parameters.AlignmentFractionBits;
        if (cSig != 0)
        {
            int d = maxExp - cExp + cFrac - f; // FP16 C at the top exponent keeps 3 extra zero bits: d = −3
            long mag = d >= 63 ? 0 : d >= 0 ? cSig >> d : cSig << -d;
            sum += (cBits & 0x8000_0000u) != 0 ? -mag : mag;
        }
        int scale = maxExp - f;
        return fp16 ? AccumulatorRounding.RoundToHalf(sum, scale)
                    : AccumulatorRounding.TruncateToFloat(sum, scale, Parameters.Fp32OutputFractionBits);
    }

    private static int[] BuildPackedTable(Product[] products)
    {
        var t = new int[products.Length];
        for (int i = 0; i < t.Length; i++)
        {
            var p = products[i];
            t[i] = p.Class != 0 ? 1 << 24
                 : p.Significand == 0 ? 0
                 : ((p.AlignExponent + 64) << 16) | (ushort)(short)p.Significand;
        }
        return t;
    }

    private float FusedBlock(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, float c, int phase, int width)
    {
        int n = a.Length;
        int maxExp = ZeroExponent;
        bool anySpecial = false;
        var table = _products;
        for (int i = 0; i < n; i++)
        {
            if (!Selected(i, phase, width)) continue;
            ref readonly Product p = ref table[(a[i] << 8) | b[i]];
            anySpecial |= p.Class != 0;
            if (p.Significand != 0 && p.AlignExponent > maxExp) maxExp = p.AlignExponent;
        }
        uint cBits = BitConverter.SingleToUInt32Bits(c);
        bool fp16 = Accumulator == MmaAccumulator.Fp16;
        if (anySpecial || (cBits & 0x7F80_0000u) == 0x7F80_0000u) return Special(a, b, c, phase, width);

        // C as significand·2^(cExp − cFrac), with the accumulator format's own subnormal pinning.
        DecodeAccumulator(c, cBits, fp16, out long cSig, out int cExp, out int cFrac);
        if ((cBits & 0x8000_0000u) != 0) cSig = -cSig;
        if (cSig != 0 && cExp > maxExp) maxExp = cExp;
        if (maxExp == ZeroExponent) return 0f; // every term zero

        int f = Parameters.AlignmentFractionBits;
        long sum = 0;
        for (int i = 0; i < n; i++)
        {
            if (!Selected(i, phase, width)) continue;
            ref readonly Product p = ref table[(a[i] << 8) | b[i]];
            if (p.Significand == 0) continue;
            sum += AlignTruncate(p.Significand, p.ValueExponent + f - maxExp);
        }
        if (cSig != 0) sum += AlignTruncate(cSig, cExp - cFrac + f - maxExp);
        int scale = maxExp - f;
        return fp16 ? AccumulatorRounding.RoundToHalf(sum, scale)
                    : AccumulatorRounding.TruncateToFloat(sum, scale, Parameters.Fp32OutputFractionBits);
    }

    /// <summary>sig·2^shift with the magnitude truncated toward zero (sign-magnitude, not two's-complement floor).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static long AlignTruncate(long sig, int shift)
    {
        if (shift >= 0) return sig << shift;
        if (shift <= -63) return 0;
        return sig >= 0 ? sig >> -shift : -((-sig) >> -shift);
    }

    // IEEE FP16 addition, round to nearest-even (HADD2): the exact sum of two halves is exact in double.
    private static float AddHalf(float x, float y)
    {
        double s = (double)x + y;
        if (double.IsNaN(s)) return float.NaN;
        if (double.IsInfinity(s)) return (float)s;
        if (s == 0) return (x == 0 && y == 0 && float.IsNegative(x) && float.IsNegative(y)) ? -0f : 0f;
        // s = sig·2^(e−52) with |sig| < 2^53: exact decomposition for RoundToHalf.
        long bits = BitConverter.DoubleToInt64Bits(s);
        int field = (int)((bits >> 52) & 0x7FF);
        long sig = (bits & 0xF_FFFF_FFFF_FFFFL) | (field == 0 ? 0 : 1L << 52);
        int scale = (field == 0 ? 1 : field) - 1075;
        return AccumulatorRounding.RoundToHalf(s < 0 ? -sig : sig, scale, keepSignOnUnderflow: true);
    }

    private float Special(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, float c, int phase, int width)
    {
        bool nan = float.IsNaN(c), posInf = float.IsPositiveInfinity(c), negInf = float.IsNegativeInfinity(c);
        for (int i = 0; i < a.Length; i++)
        {
            if (!Selected(i, phase, width)) continue;
            ref readonly Product p = ref _products[(a[i] << 8) | b[i]];
            if (p.Class == 2) nan = true;
            else if (p.Class == 1) { if (p.Significand > 0) posInf = true; else negInf = true; }
        }
        if (nan || (posInf && negInf)) return NaNResult();
        return posInf ? float.PositiveInfinity : float.NegativeInfinity;
    }

    private float NaNResult() => Accumulator == MmaAccumulator.Fp16
        ? (float)BitConverter.UInt16BitsToHalf(Parameters.Fp16NaNBits)
        : BitConverter.UInt32BitsToSingle(Parameters.Fp32NaNBits);

    private static Product[] BuildProductTable(MmaInputFormat format, bool widenToHalf)
    {
        int f = Fp8Codec.FractionBits(format);
        var t = new Product[65536];
        for (int x = 0; x < 256; x++)
        for (int y = 0; y < 256; y++)
        {
            var ca = Fp8Codec.Decode(format, (byte)x, out bool na, out int sa, out int ea);
            var cb = Fp8Codec.Decode(format, (byte)y, out bool nb, out int sb, out int eb);
            bool neg = na ^ nb;
            if (ca == Fp8Codec.Fp8Class.NaN || cb == Fp8Codec.Fp8Class.NaN) { t[(x << 8) | y] = new(0, 0, 0, 2); continue; }
            if (ca == Fp8Codec.Fp8Class.Infinity || cb == Fp8Codec.Fp8Class.Infinity)
            {
                bool otherZero = ca == Fp8Codec.Fp8Class.Infinity ? (cb == Fp8Codec.Fp8Class.Finite && sb == 0) : sa == 0;
                t[(x << 8) | y] = otherZero ? new(0, 0, 0, 2) : new(neg ? -1 : 1, 0, 0, 1);
                continue;
            }
            int sig = sa * sb;
            if (sig == 0) { t[(x << 8) | y] = new(0, ZeroExponent, 0, 0); continue; }
            // value = sa·sb·2^(ea+eb−2f); alignment exponent: FP8 exponents (subnormals pinned at the FP8 minimum),
            // or, on the FP16 path, FP16 exponents (E4M3 subnormals become FP16 normals; E5M2 subnormals stay pinned at −14).
            int align = ea + eb;
            if (widenToHalf) align = HalfExponent(sa, ea, f) + HalfExponent(sb, eb, f);
            t[(x << 8) | y] = new(neg ? -sig : sig, align, ea + eb - 2 * f, 0);
        }
        return t;
    }

    // Exponent of sig·2^(e−f) once widened to FP16 (normal: floor(log2); below 2^−14: pinned at −14).
    private static int HalfExponent(int sig, int e, int f)
    {
        int log2 = 31 - BitOperations.LeadingZeroCount((uint)sig) + e - f;
        return Math.Max(log2, -14);
    }
}
