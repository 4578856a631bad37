using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Sage.Emulation.Preprocessing;
using Sage.Emulation.TensorCores;

namespace Sage.Emulation.Mainloop;

/// <summary>
/// <see cref="Fp8FusedDotModel"/> (the measured wgmma.e4m3 model: per k-step of 32 tokens, E = the largest
/// alignment exponent among the nonzero products and C, each term truncated toward zero at 2^(E−f), an exact sum,
/// then FP32 truncation or FP16 RNE) for many P rows and all channels at once, register-blocked over 4 rows × 32
/// channels so that each V load serves 4 rows. Equal to the model bit for bit, by construction:
/// <list type="bullet">
/// <item>E per (row, channel) comes from a byte-wide max of exponent sums (E4M3 exponents lie in [−6, 8]; a zero
/// code gets −64, so any sum with a zero factor is ≤ −56 and never beats a real product).</item>
/// <item>The truncation is done by the adder itself: with A₀ = 2^(E+23−f), every fp32 in [A₀, 2A₀) is a multiple of
/// 2^(E−f), and |Σ terms| &lt; 33·2^(E+2) &lt; A₀ keeps the running sum in that binade, so one fused multiply-add
/// rounded toward zero, A ← RZ(p·v + A), adds exactly trunc(p·v) (floor for the positive terms, which go to an
/// accumulator starting at +A₀; the negative terms go to one starting at −A₀, where RZ is ceil, i.e. trunc again).
/// C enters the same way (RZ(±A₀ + C)). (A − A₀) + (B + A₀) is then the exact sum (multiples of 2^(E−f) below
/// 2^(E+8): 21 bits).</item>
/// <item>Lanes outside that envelope (C not finite, E &lt; −100 or E &gt; 100, an FP16 result that overflows) and
/// NaN P codes are computed by the model itself; a head with a NaN V code never reaches this kernel.</item>
/// </list>
/// tests/Property/Emulation/Fp8PvTileKernelTests checks equality with <see cref="Fp8FusedDotModel.DotBytes"/>.
/// </summary>
public sealed class Fp8PvTileKernel
{
    /// <summary>Rows processed together; callers pass a multiple of this.</summary>
    public const int RowBlock = 4;

    private const int Step = KernelTiling.PvKStep;
    private const sbyte ZeroByteExponent = -64;
    private const int AllZeroByteMax = -50;     // a byte maximum at or below this: every product is zero
    private const int ZeroExponent = -100_000;
    private const int LowestSafeMax = -100, HighestSafeMax = 100;

    private static readonly sbyte[] s_exponentByte = BuildExponentBytes();

    private readonly Fp8FusedDotModel _model;
    private readonly int _alignmentBits;
    private readonly uint _fp32Mask;
    private readonly bool _fp16;

    private Fp8PvTileKernel(Fp8PvModelShape shape)
    {
        _model = shape.Model;
        _alignmentBits = shape.AlignmentBits;
        _fp32Mask = shape.Fp32Mask;
        _fp16 = shape.Fp16;
    }

    /// <summary>The kernel for <paramref name="model"/>, or null when the model or the CPU is not of the supported shape.</summary>
    public static Fp8PvTileKernel? TryCreate(IDotProductModel model) =>
        Avx512F.IsSupported && Avx512BW.IsSupported
        && Fp8PvModelShape.Of(model, maxAlignmentBits: 15) is { } shape ? new Fp8PvTileKernel(shape) : null;

    /// <summary>Alignment exponent of each E4M3 code as a byte (subnormals pinned at −6; zero: −64; NaN: 0).</summary>
    public static ReadOnlySpan<sbyte> ExponentBytes => s_exponentByte;

    /// <summary>Whether <paramref name="kv"/> can be run by this kernel (no NaN V code; head dim a multiple of 64).</summary>
    public static bool Supports(PreparedKeyValueHead kv) => !kv.HasNaNValueCode && kv.HeadDim % 64 == 0;

    /// <summary>
    /// For every row r &lt; <paramref name="rows"/> (a multiple of <see cref="RowBlock"/>) and channel c:
    /// acc[r·accStride + c] = chain of k-steps over tokens [from, from + count) (a multiple of 32) of the K/V tile
    /// at global token <paramref name="tileStart"/>, with the row's P codes <paramref name="codes"/>[r·128 + token],
    /// starting from C = acc[r·accStride + c]. Decodes the codes itself (see the overload that takes them decoded).
    /// </summary>
    public void Chain(ReadOnlySpan<byte> codes, int rows, int tileStart, int from, int count, PreparedKeyValueHead kv,
        Span<float> acc, int accStride)
    {
        var values = new float[rows * KernelTiling.KeyTileTokens];
        var exponents = new sbyte[rows * KernelTiling.KeyTileTokens];
        Decode(codes.Slice(0, Math.Min(codes.Length, values.Length)), values, exponents);
        Chain(codes, values, exponents, rows, tileStart, from, count, kv, acc, accStride);
    }

    /// <summary>
    /// The same on raw codes, for checking the kernel against the model: <paramref name="valueCodes"/> holds one K/V tile,
    /// 128 tokens × head dim (token-major, head dim a multiple of 64).
    /// </summary>
    public void Chain(ReadOnlySpan<byte> codes, int rows, ReadOnlySpan<byte> valueCodes, int headDim, int from, int count,
        Span<float> acc, int accStride)
    {
        const int tile = KernelTiling.KeyTileTokens;
        if (valueCodes.Length != tile * headDim)
            throw new ArgumentException($"Expected 128 × {headDim} V codes; got {valueCodes.Length}.", nameof(valueCodes));
        var kv = new PreparedKeyValueHead(tile, headDim);
        for (int t = 0; t < tile; t++)
        for (int c = 0; c < headDim; c++)
            kv.ValueCodesTransposed[c * tile + t] = valueCodes[t * headDim + c];
        kv.DeriveTokenMajorValues();
        Chain(codes, rows, 0, from, count, kv, acc, accStride);
    }

    /// <summary>
    /// The same with the codes' values and alignment exponents given (<see cref="Decode"/> of <paramref name="codes"/>).
    /// </summary>
    public void Chain(ReadOnlySpan<byte> codes, ReadOnlySpan<float> pValues, ReadOnlySpan<sbyte> pExponents, int rows, int tileStart,
        int from, int count, PreparedKeyValueHead kv, Span<float> acc, int accStride)
    {
        int d = kv.HeadDim;
        const int tile = KernelTiling.KeyTileTokens;
        if (rows % RowBlock != 0) throw new ArgumentException($"rows = {rows}; expected a multiple of {RowBlock}.", nameof(rows));
        if (!Supports(kv)) throw new ArgumentException("The K/V head has a NaN V code or a head dim that is not a multiple of 64.", nameof(kv));
        if (codes.Length < rows * tile || pValues.Length < rows * tile || pExponents.Length < rows * tile)
            throw new ArgumentException($"codes, values, exponents hold {codes.Length}, {pValues.Length}, {pExponents.Length}; expected ≥ {rows * tile} each.", nameof(codes));
        if (acc.Length < (rows - 1) * accStride + d) throw new ArgumentException($"acc holds {acc.Length}; expected ≥ {(rows - 1) * accStride + d}.", nameof(acc));
        if (from < 0 || count < 0 || from % Step != 0 || count % Step != 0 || from + count > tile)
            throw new ArgumentOutOfRangeException(nameof(count), $"from = {from}, count = {count}; expected multiples of {Step} within the tile.");
        if (tileStart < 0 || tileStart % tile != 0 || tileStart + tile > kv.PaddedLength)
            throw new ArgumentOutOfRangeException(nameof(tileStart), tileStart, $"expected a tile start within {kv.PaddedLength} tokens.");

        // Per k-step: the exponent maxima of every row first, then the sums channel block by channel block, so that the
        // 32 tokens × 32 channels of V that a block reads (8 KiB) stay in L1 while all row blocks use them.
        const int chunkRows = KernelTiling.QueryTileRows;
        Span<sbyte> emax = stackalloc sbyte[chunkRows * 128];
        Span<bool> toModel = stackalloc bool[chunkRows / RowBlock];
        Span<float> bias = stackalloc float[2 * 128]; // A₀ per slot, then C per slot
        for (int first = 0; first < rows; first += chunkRows)
        {
            int last = Math.Min(rows, first + chunkRows);
            for (int s = from; s < from + count; s += Step)
            {
                int token0 = tileStart + s;
                for (int r0 = first; r0 < last; r0 += RowBlock)
                {
                    // NaN codes and negative P (never produced by the softmax) go to the model.
                    var bad = Vector256<byte>.Zero;
                    for (int r = 0; r < RowBlock; r++)
                    {
                        var c = Vector256.Create(codes.Slice((r0 + r) * tile + s, Step));
                        bad |= Vector256.Equals(c & Vector256.Create((byte)0x7F), Vector256.Create((byte)0x7F))
                               | Vector256.GreaterThan(c, Vector256.Create((byte)0x80));
                    }
                    bool model = bad != Vector256<byte>.Zero;
                    toModel[(r0 - first) / RowBlock] = model;
                    if (model)
                        for (int r = 0; r < RowBlock; r++)
                            ModelRow(codes.Slice((r0 + r) * tile + s, Step), kv, token0, acc.Slice((r0 + r) * accStride, d));
                    else
                        MaxExponents(pExponents.Slice(r0 * tile + s), kv.ExponentBytesTokenMajor, token0 * d, d, emax.Slice((r0 - first) * 128));
                }
                for (int c0 = 0; c0 < d; c0 += 32)
                for (int r0 = first; r0 < last; r0 += RowBlock)
                    if (!toModel[(r0 - first) / RowBlock])
                        SumBlock(pValues.Slice(r0 * tile + s), emax.Slice((r0 - first) * 128), kv, token0, d, c0, codes, r0, s, acc, accStride, bias);
            }
        }
    }

    /// <summary>
    /// Values and alignment exponents (<see cref="Fp8PvFastPath.Values"/>, <see cref="ExponentBytes"/>) of E4M3 codes,
    /// 16 at a time: normal codes assemble their fp32 bits, subnormals are m·2^−9 (exact).
    /// </summary>
    public static void Decode(ReadOnlySpan<byte> codes, Span<float> values, Span<sbyte> exponents)
    {
        if (values.Length < codes.Length || exponents.Length < codes.Length)
            throw new ArgumentException($"values and exponents must hold {codes.Length} entries.", nameof(values));
        int i = 0;
        if (Avx512F.IsSupported)
            for (; i + 16 <= codes.Length; i += 16)
            {
                var c = Avx512F.ConvertToVector512Int32(Vector128.Create(codes.Slice(i, 16)));
                var e = (c >>> 3) & Vector512.Create(0xF);
                var m = c & Vector512.Create(7);
                var sign = (c >>> 7) << 31;
                var normal = (((e + Vector512.Create(120)) << 23) | (m << 20) | sign).AsSingle();
                var subnormal = (Vector512.ConvertToSingle(m) * Vector512.Create(1f / 512)).AsInt32() | sign;
                var isSubnormal = Vector512.Equals(e, Vector512<int>.Zero);
                Vector512.ConditionalSelect(isSubnormal.AsSingle(), subnormal.AsSingle(), normal).CopyTo(values.Slice(i, 16));
                var exponent = Vector512.ConditionalSelect(isSubnormal,
                    Vector512.ConditionalSelect(Vector512.Equals(m, Vector512<int>.Zero), Vector512.Create((int)ZeroByteExponent), Vector512.Create(-6)),
                    e - Vector512.Create(7));
                // NaN codes (0x7F, 0xFF): value and exponent as the tables give them.
                var nan = Vector512.Equals(c & Vector512.Create(0x7F), Vector512.Create(0x7F));
                exponent = Vector512.ConditionalSelect(nan, Vector512<int>.Zero, exponent);
                if (nan != Vector512<int>.Zero)
                    for (int lane = 0; lane < 16; lane++) values[i + lane] = Fp8PvFastPath.Values[codes[i + lane]];
                Avx512F.ConvertToVector128SByte(exponent).CopyTo(exponents.Slice(i, 16));
            }
        for (; i < codes.Length; i++)
        {
            values[i] = Fp8PvFastPath.Values[codes[i]];
            exponents[i] = s_exponentByte[codes[i]];
        }
    }

    /// <summary>emax[r·128 + c] = max over the k-step of eP[r, k] + eV[k, c] (bytes; ≤ −50 when every product is zero).</summary>
    private static void MaxExponents(ReadOnlySpan<sbyte> pExp, sbyte[] vExp, int at, int d, Span<sbyte> emax)
    {
        ref sbyte v = ref MemoryMarshal.GetArrayDataReference(vExp);
        for (int h = 0; h < d; h += 64)
        {
            var m0 = Vector512.Create(sbyte.MinValue);
            var m1 = m0;
            var m2 = m0;
            var m3 = m0;
            for (int k = 0; k < Step; k++)
            {
                var e = Vector512.LoadUnsafe(ref v, (nuint)(at + k * d + h));
                m0 = Vector512.Max(m0, e + Vector512.Create(pExp[k]));
                m1 = Vector512.Max(m1, e + Vector512.Create(pExp[128 + k]));
                m2 = Vector512.Max(m2, e + Vector512.Create(pExp[256 + k]));
                m3 = Vector512.Max(m3, e + Vector512.Create(pExp[384 + k]));
            }
            m0.CopyTo(emax.Slice(h));
            m1.CopyTo(emax.Slice(128 + h));
            m2.CopyTo(emax.Slice(256 + h));
            m3.CopyTo(emax.Slice(384 + h));
        }
    }

    /// <summary>One k-step for 4 rows × 32 channels starting at <paramref name="c0"/>.</summary>
    private void SumBlock(ReadOnlySpan<float> pVal, ReadOnlySpan<sbyte> emax, PreparedKeyValueHead kv, int token0, int d, int c0,
        ReadOnlySpan<byte> codes, int r0, int s, Span<float> acc, int accStride, Span<float> bias)
    {
        // Per slot (row r, 16 channels): A₀ into bias[16·slot], and which lanes are special (nothing nonzero: +0;
        // out of range: the model).
        Span<ushort> zero = stackalloc ushort[8];
        Span<ushort> special = stackalloc ushort[8];
        for (int slot = 0; slot < 8; slot++)
        {
            int r = slot >> 1, channel = c0 + (slot & 1) * 16;
            Prepare(emax.Slice(r * 128 + channel, 16), acc.Slice((r0 + r) * accStride + channel, 16), bias, slot * 16,
                out zero[slot], out special[slot]);
        }
        ref float biasRef = ref MemoryMarshal.GetReference(bias);
        ref float accRef = ref MemoryMarshal.GetReference(acc);
        nuint o0 = (nuint)(r0 * accStride + c0), o1 = o0 + (nuint)accStride, o2 = o1 + (nuint)accStride, o3 = o2 + (nuint)accStride;
        // Initial accumulators: RZ(+A₀ + max(C, 0)) and RZ(−A₀ + min(C, 0)): C truncated at 2^(E−f).
        var a00 = StartPositive(ref biasRef, 0, ref accRef, o0);
        var b00 = StartNegative(ref biasRef, 0, ref accRef, o0);
        var a01 = StartPositive(ref biasRef, 16, ref accRef, o0 + 16);
        var b01 = StartNegative(ref biasRef, 16, ref accRef, o0 + 16);
        var a10 = StartPositive(ref biasRef, 32, ref accRef, o1);
        var b10 = StartNegative(ref biasRef, 32, ref accRef, o1);
        var a11 = StartPositive(ref biasRef, 48, ref accRef, o1 + 16);
        var b11 = StartNegative(ref biasRef, 48, ref accRef, o1 + 16);
        var a20 = StartPositive(ref biasRef, 64, ref accRef, o2);
        var b20 = StartNegative(ref biasRef, 64, ref accRef, o2);
        var a21 = StartPositive(ref biasRef, 80, ref accRef, o2 + 16);
        var b21 = StartNegative(ref biasRef, 80, ref accRef, o2 + 16);
        var a30 = StartPositive(ref biasRef, 96, ref accRef, o3);
        var b30 = StartNegative(ref biasRef, 96, ref accRef, o3);
        var a31 = StartPositive(ref biasRef, 112, ref accRef, o3 + 16);
        var b31 = StartNegative(ref biasRef, 112, ref accRef, o3 + 16);

        ref float pos = ref MemoryMarshal.GetArrayDataReference(kv.ValuesPositive);
        ref float neg = ref MemoryMarshal.GetArrayDataReference(kv.ValuesNegative);
        ref float p0 = ref MemoryMarshal.GetReference(pVal);
        const FloatRoundingMode rz = FloatRoundingMode.ToZero;
        nuint at = (nuint)(token0 * d + c0);
        for (nuint k = 0; k < Step; k++, at += (nuint)d)
        {
            var vp0 = Vector512.LoadUnsafe(ref pos, at);
            var vp1 = Vector512.LoadUnsafe(ref pos, at + 16);
            var vn0 = Vector512.LoadUnsafe(ref neg, at);
            var vn1 = Vector512.LoadUnsafe(ref neg, at + 16);
            var p = Vector512.Create(Unsafe.Add(ref p0, k));
            a00 = Avx512F.FusedMultiplyAdd(p, vp0, a00, rz);
            a01 = Avx512F.FusedMultiplyAdd(p, vp1, a01, rz);
            b00 = Avx512F.FusedMultiplyAdd(p, vn0, b00, rz);
            b01 = Avx512F.FusedMultiplyAdd(p, vn1, b01, rz);
            p = Vector512.Create(Unsafe.Add(ref p0, k + 128));
            a10 = Avx512F.FusedMultiplyAdd(p, vp0, a10, rz);
            a11 = Avx512F.FusedMultiplyAdd(p, vp1, a11, rz);
            b10 = Avx512F.FusedMultiplyAdd(p, vn0, b10, rz);
            b11 = Avx512F.FusedMultiplyAdd(p, vn1, b11, rz);
            p = Vector512.Create(Unsafe.Add(ref p0, k + 256));
            a20 = Avx512F.FusedMultiplyAdd(p, vp0, a20, rz);
            a21 = Avx512F.FusedMultiplyAdd(p, vp1, a21, rz);
            b20 = Avx512F.FusedMultiplyAdd(p, vn0, b20, rz);
            b21 = Avx512F.FusedMultiplyAdd(p, vn1, b21, rz);
            p = Vector512.Create(Unsafe.Add(ref p0, k + 384));
            a30 = Avx512F.FusedMultiplyAdd(p, vp0, a30, rz);
            a31 = Avx512F.FusedMultiplyAdd(p, vp1, a31, rz);
            b30 = Avx512F.FusedMultiplyAdd(p, vn0, b30, rz);
            b31 = Avx512F.FusedMultiplyAdd(p, vn1, b31, rz);
        }

        Store(a00, b00, ref biasRef, 0, ref accRef, o0);
        Store(a01, b01, ref biasRef, 16, ref accRef, o0 + 16);
        Store(a10, b10, ref biasRef, 32, ref accRef, o1);
        Store(a11, b11, ref biasRef, 48, ref accRef, o1 + 16);
        Store(a20, b20, ref biasRef, 64, ref accRef, o2);
        Store(a21, b21, ref biasRef, 80, ref accRef, o2 + 16);
        Store(a30, b30, ref biasRef, 96, ref accRef, o3);
        Store(a31, b31, ref biasRef, 112, ref accRef, o3 + 16);
        // Special lanes: +0 where nothing is nonzero, the model where the envelope does not hold (C as Prepare kept it).
        for (int slot = 0; slot < 8; slot++)
        {
            if ((zero[slot] | special[slot]) == 0) continue;
            int r = slot >> 1, channel = c0 + (slot & 1) * 16;
            var dst = acc.Slice((r0 + r) * accStride + channel, 16);
            for (int lane = 0; lane < 16; lane++)
            {
                if ((zero[slot] >> lane & 1) != 0) dst[lane] = 0f;
                else if ((special[slot] >> lane & 1) != 0)
                    dst[lane] = _model.DotBytes(codes.Slice((r0 + r) * KernelTiling.KeyTileTokens + s, Step),
                        kv.ValueCodesTransposed.AsSpan((channel + lane) * kv.PaddedLength + token0, Step), bias[128 + slot * 16 + lane]);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> StartPositive(ref float bias, nuint slot, ref float acc, nuint at) =>
        Avx512F.Add(Vector512.LoadUnsafe(ref bias, slot), Vector512.Max(Vector512.LoadUnsafe(ref acc, at), Vector512<float>.Zero),
            FloatRoundingMode.ToZero);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> StartNegative(ref float bias, nuint slot, ref float acc, nuint at) =>
        Avx512F.Add(-Vector512.LoadUnsafe(ref bias, slot), Vector512.Min(Vector512.LoadUnsafe(ref acc, at), Vector512<float>.Zero),
            FloatRoundingMode.ToZero);

    /// <summary>
    /// E per lane (the products' byte maximum and C's exponent as the model reads it), A₀ = 2^(E+23−f) (E clamped to
    /// [−100, 100] so that A₀ is always a normal number), C kept at bias[128 + …] for the model, and the special lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Prepare(ReadOnlySpan<sbyte> emaxBytes, Span<float> acc, Span<float> bias, int at, out ushort zero, out ushort special)
    {
        var products = Avx512F.ConvertToVector512Int32(Vector128.Create(emaxBytes));
        products = Vector512.ConditionalSelect(Vector512.LessThanOrEqual(products, Vector512.Create(AllZeroByteMax)),
            Vector512.Create(ZeroExponent), products);
        var c = Vector512.Create(acc);
        var bits = c.AsInt32();
        var field = (bits >>> 23) & Vector512.Create(0xFF);
        var isZero = Vector512.Equals(bits & Vector512.Create(0x7FFF_FFFF), Vector512<int>.Zero);
        // C's exponent as the model reads it: fp32 subnormals pinned at −126; an FP16 C pinned at −14.
        var cExp = Vector512.Max(field - Vector512.Create(127), Vector512.Create(_fp16 ? -14 : -126));
        var e = Vector512.Max(products, Vector512.ConditionalSelect(isZero, Vector512.Create(ZeroExponent), cExp));
        var zeroLanes = Vector512.LessThan(e, Vector512.Create(ZeroExponent / 2));
        var bad = (Vector512.LessThan(e, Vector512.Create(LowestSafeMax)) | Vector512.GreaterThan(e, Vector512.Create(HighestSafeMax))
                   | Vector512.Equals(field, Vector512.Create(0xFF))) & ~zeroLanes;
        var clamped = Vector512.Min(Vector512.Max(e, Vector512.Create(LowestSafeMax)), Vector512.Create(HighestSafeMax));
        ((clamped + Vector512.Create(23 + 127 - _alignmentBits)) << 23).AsSingle().CopyTo(bias.Slice(at, 16));
        c.CopyTo(bias.Slice(128 + at, 16));
        zero = (ushort)zeroLanes.ExtractMostSignificantBits();
        special = (ushort)bad.ExtractMostSignificantBits();
    }

    /// <summary>(A − A₀) + (B + A₀), exact, written in the accumulator format (FP32 truncated, FP16 RNE).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Store(Vector512<float> a, Vector512<float> b, ref float bias, nuint slot, ref float acc, nuint at)
    {
        var a0 = Vector512.LoadUnsafe(ref bias, slot);
        var result = (a - a0) + (b + a0);
        var bits = result.AsUInt32();
        var magnitude = bits & Vector512.Create(0x7FFF_FFFFu);
        Vector512<uint> rounded;
        if (_fp16)
        {
            // RNE at FP16's 10 fraction bits in the normal range [2^−14, 65520); below 2^−14 to a multiple of 2^−24 by
            // adding and removing 0.5 (fp32 ulp 2^−24 there: exactly the one rounding we want). ≥ 65520 rounds to ±inf.
            var normal = (bits + Vector512.Create(0xFFFu) + ((bits >>> 13) & Vector512.Create(1u))) & Vector512.Create(0xFFFF_E000u);
            var subnormal = ((magnitude.AsSingle() + Vector512.Create(0.5f)) - Vector512.Create(0.5f)).AsUInt32()
                            | (bits & Vector512.Create(0x8000_0000u));
            rounded = Vector512.ConditionalSelect(Vector512.LessThan(magnitude, Vector512.Create(0x3880_0000u)), subnormal, normal);
            rounded = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(magnitude, Vector512.Create(0x477F_F000u)),
                (bits & Vector512.Create(0x8000_0000u)) | Vector512.Create(0x7F80_0000u), rounded);
        }
        else
        {
            rounded = bits & Vector512.Create(_fp32Mask);
        }
        // An exact zero sum is +0 in the accumulator (the model returns +0, never −0).
        rounded = Vector512.ConditionalSelect(Vector512.Equals(magnitude, Vector512<uint>.Zero), Vector512<uint>.Zero, rounded);
        rounded.AsSingle().StoreUnsafe(ref acc, at);
    }

    private void ModelRow(ReadOnlySpan<byte> p8, PreparedKeyValueHead kv, int token0, Span<float> acc)
    {
        for (int c = 0; c < acc.Length; c++)
            acc[c] = _model.DotBytes(p8, kv.ValueCodesTransposed.AsSpan(c * kv.PaddedLength + token0, Step), acc[c]);
    }

    private static sbyte[] BuildExponentBytes()
    {
        var t = new sbyte[256];
        for (int i = 0; i < 256; i++)
        {
            Fp8Codec.Decode(MmaInputFormat.E4M3, (byte)i, out _, out int sig, out int exp);
            t[i] = (i & 0x7F) == 0x7F ? (sbyte)0 : sig == 0 ? ZeroByteExponent : (sbyte)exp;
        }
        return t;
    }
}
