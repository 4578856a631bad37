using System.Runtime.CompilerServices;

namespace Sage.Emulation.TensorCores;

/// <summary>
/// Parameters of an FP8 tensor-core dot product, the "fused dot-add" family measured by the probes:
/// the products of one block (exact) and, in the first block, the incoming accumulator C are aligned to the
/// largest exponent among them (product exponent = sum of the operand exponents, significand in [1,4));
/// each aligned term keeps <see cref="AlignmentFractionBits"/> bits below that exponent, the rest cut toward
/// zero; the terms are summed exactly; the sum is written to the accumulator: FP32 truncated toward zero to
/// <see cref="Fp32OutputFractionBits"/> fraction bits, FP16 rounded to nearest-even (overflow to ±inf).
/// A block's result becomes the C of the next block and of the next instruction of a chain.
/// </summary>
public sealed record Fp8DotParameters(
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
    private const int ZeroExponent = -1000;
    private readonly int[] _products; // packed (signed significand product, exponent sum, class) per (a,b) byte pair
    private readonly int _productFractionBits;

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
        _productFractionBits = 2 * Fp8Codec.FractionBits(input);
        _products = BuildProductTable(input);
    }

    public string Name { get; }
    public MmaInputFormat Input { get; }
    public MmaAccumulator Accumulator { get; }
    public int K { get; }
    public bool VerifiedOnHardware { get; }
    public string Provenance { get; }
    public Fp8DotParameters Parameters { get; }

    public override string ToString() => $"{Name} (K={K}, block {Parameters.BlockSize}, {Parameters.AlignmentFractionBits} alignment bits, verified={VerifiedOnHardware})";

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
        int block = Parameters.BlockSize;
        for (int start = 0; start < a.Length; start += block)
            c = FusedBlock(a.Slice(start, block), b.Slice(start, block), c);
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float FusedBlock(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, float c)
    {
        int n = a.Length;
        Span<int> packed = stackalloc int[n];
        int maxExp = ZeroExponent;
        bool anySpecial = false;
        for (int i = 0; i < n; i++)
        {
            int p = _products[(a[i] << 8) | b[i]];
            packed[i] = p;
            anySpecial |= (p >> 24) != 0;
            int e = ((p >> 16) & 0xFF) - 128;
            if ((short)p != 0 && e > maxExp) maxExp = e;
        }
        uint cBits = BitConverter.SingleToUInt32Bits(c);
        bool fp16 = Accumulator == MmaAccumulator.Fp16;
        if (anySpecial || (cBits & 0x7F80_0000u) == 0x7F80_0000u) return Special(packed, c);

        // C as significand·2^(cExp − cFrac), with the accumulator format's own subnormal pinning.
        long cSig; int cExp, cFrac;
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
        if ((cBits & 0x8000_0000u) != 0) cSig = -cSig;
        if (cSig != 0 && cExp > maxExp) maxExp = cExp;
        if (maxExp == ZeroExponent) return 0f; // every term zero

        int f = Parameters.AlignmentFractionBits;
        long sum = 0;
        int baseShift = f - _productFractionBits - maxExp;
        for (int i = 0; i < n; i++)
        {
            int p = packed[i];
            int sig = (short)p;
            if (sig == 0) continue;
            int sh = ((p >> 16) & 0xFF) - 128 + baseShift;
            sum += AlignTruncate(sig, sh);
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

    private float Special(ReadOnlySpan<int> packed, float c)
    {
        bool nan = float.IsNaN(c), posInf = float.IsPositiveInfinity(c), negInf = float.IsNegativeInfinity(c);
        foreach (int p in packed)
        {
            int cls = p >> 24;
            if (cls == 2) nan = true;
            else if (cls == 1) { if ((short)p > 0) posInf = true; else negInf = true; }
        }
        if (nan || (posInf && negInf)) return NaNResult();
        return posInf ? float.PositiveInfinity : float.NegativeInfinity;
    }

    private float NaNResult() => Accumulator == MmaAccumulator.Fp16
        ? (float)BitConverter.UInt16BitsToHalf(Parameters.Fp16NaNBits)
        : BitConverter.UInt32BitsToSingle(Parameters.Fp32NaNBits);

    // Entry: bits 0..15 signed significand product (0 for a zero product), bits 16..23 exponent sum + 128,
    // bits 24..25 class (0 finite, 1 infinite: significand holds the sign as ±1, 2 NaN, also inf·0).
    private static int[] BuildProductTable(MmaInputFormat format)
    {
        var t = new int[65536];
        for (int x = 0; x < 256; x++)
        for (int y = 0; y < 256; y++)
        {
            var ca = Fp8Codec.Decode(format, (byte)x, out bool na, out int sa, out int ea);
            var cb = Fp8Codec.Decode(format, (byte)y, out bool nb, out int sb, out int eb);
            bool neg = na ^ nb;
            int entry;
            if (ca == Fp8Codec.Fp8Class.NaN || cb == Fp8Codec.Fp8Class.NaN) entry = 2 << 24;
            else if (ca == Fp8Codec.Fp8Class.Infinity || cb == Fp8Codec.Fp8Class.Infinity)
            {
                bool otherZero = (ca == Fp8Codec.Fp8Class.Infinity ? (cb == Fp8Codec.Fp8Class.Finite && sb == 0) : (sa == 0));
                entry = otherZero ? 2 << 24 : (1 << 24) | (ushort)(short)(neg ? -1 : 1);
            }
            else
            {
                int sig = sa * sb;
                if (neg) sig = -sig;
                entry = ((ea + eb + 128) << 16) | (ushort)(short)sig;
            }
            t[(x << 8) | y] = entry;
        }
        return t;
    }
}
