using System.Buffers;
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
/// channels so that each V load serves 4 rows, each block running its whole chain of k-steps before the next.
/// Equal to the model bit for bit, by construction:
/// <list type="bullet">
/// <item>E per (row, channel) comes from a byte-wide max of exponent sums (E4M3 exponents lie in [−6, 8]; a zero
/// code gets −64, so any sum with a zero factor is ≤ −56 and never beats a real product) and getexp(C) (−∞ for a zero C).</item>
/// <item>The truncation is done by the adder itself: with A₀ = 2^(E+23−f), every fp32 in [A₀, 2A₀) is a multiple of
/// 2^(E−f), and |Σ terms| &lt; 33·2^(E+2) &lt; A₀ keeps the running sum in that binade, so one fused multiply-add
/// rounded toward zero, A ← RZ(p·v + A), adds exactly trunc(p·v) (floor for the positive terms, which go to an
/// accumulator starting at +A₀; the negative terms go to one starting at −A₀, where RZ is ceil, i.e. trunc again).
/// C enters the same way (RZ(±A₀ + C)). (A − A₀) + (B + A₀) is then the exact sum (multiples of 2^(E−f) below
/// 2^(E+8): 21 bits), +0 when zero; FP32 truncation is a mask, FP16 RNE adds and removes 1.5·2^(e+13).</item>
/// <item>A block whose incoming C leaves the envelope (not finite, or nonzero with an exponent outside [−50, 100]),
/// whose FP16 sums overflow, or whose P codes include NaN or negative codes, is computed by the model itself; a head
/// with a NaN V code never reaches this kernel.</item>
/// </list>
/// tests/Property/Emulation/Fp8PvTileKernelTests checks equality with <see cref="Fp8FusedDotModel.DotBytes"/>.
/// </summary>
public sealed class Fp8PvTileKernel
{
    /// <summary>Rows processed together; callers pass a multiple of this.</summary>
    public const int RowBlock = 4;

    private const int Step = KernelTiling.PvKStep;
    private const sbyte ZeroByteExponent = -64;
    private const int LowestEntryExponent = -50, HighestEntryExponent = 100;
    private const float Fp16Overflow = 65520f;  // the smallest magnitude that FP16 RNE rounds to ±inf
    private const int MaxStackBytes = 64 * 1024; // emax of 128 rows × 4 k-steps × 128 channels
    private const int StateFloats = 2 * 128;     // C and A₀ of the 8 slots of a block

    private static readonly sbyte[] s_exponentByte = BuildExponentBytes();

    private readonly Fp8PvModelShape _shape; // the model and the constants derived from it

    private Fp8PvTileKernel(Fp8PvModelShape shape) => _shape = shape;

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
        Span<float> acc, int accStride, bool fromZero = false)
    {
        var values = new float[rows * KernelTiling.KeyTileTokens];
        var exponents = new sbyte[rows * KernelTiling.KeyTileTokens];
        Decode(codes.Slice(0, Math.Min(codes.Length, values.Length)), values, exponents);
        Chain(codes, values, exponents, rows, tileStart, from, count, kv, acc, accStride, fromZero);
    }

    /// <summary>
    /// The same on raw codes, for checking the kernel against the model: <paramref name="valueCodes"/> holds one K/V tile,
    /// 128 tokens × head dim (token-major, head dim a multiple of 64).
    /// </summary>
    public void Chain(ReadOnlySpan<byte> codes, int rows, ReadOnlySpan<byte> valueCodes, int headDim, int from, int count,
        Span<float> acc, int accStride, bool fromZero = false)
    {
        const int tile = KernelTiling.KeyTileTokens;
        if (valueCodes.Length != tile * headDim)
            throw new ArgumentException($"Expected 128 × {headDim} V codes; got {valueCodes.Length}.", nameof(valueCodes));
        var kv = new PreparedKeyValueHead(tile, headDim);
        for (int t = 0; t < tile; t++)
        for (int c = 0; c < headDim; c++)
            kv.ValueCodesTransposed[c * tile + t] = valueCodes[t * headDim + c];
        kv.DeriveTokenMajorValues();
        Chain(codes, rows, 0, from, count, kv, acc, accStride, fromZero);
    }

    /// <summary>
    /// The same with the codes' values and alignment exponents given (<see cref="Decode"/> of <paramref name="codes"/>).
    /// With <paramref name="fromZero"/>, every chain starts from C = +0 (a fresh accumulator, the two-level modes) and
    /// <paramref name="acc"/> is only written: the caller need not clear it first.
    /// </summary>
    [SkipLocalsInit]
    public void Chain(ReadOnlySpan<byte> codes, ReadOnlySpan<float> pValues, ReadOnlySpan<sbyte> pExponents, int rows, int tileStart,
        int from, int count, PreparedKeyValueHead kv, Span<float> acc, int accStride, bool fromZero = false)
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

        if (count == 0) return;
        kv.EnsureTileKernelArrays();
        int steps = count / Step;
        // Per 128-row chunk: the exponent maxima of every row and k-step first (bytes, [row][k-step][channel]), then the
        // chains block by block, channel block outermost, so that the V slice a channel block reads (chain length × 32
        // channels, ≤ 32 KiB) stays in L1 while all row blocks use it.
        const int chunkRows = KernelTiling.QueryTileRows;
        int emaxLength = chunkRows * steps * d;
        sbyte[]? rented = emaxLength > MaxStackBytes ? ArrayPool<sbyte>.Shared.Rent(emaxLength) : null;
        Span<sbyte> emax = rented is null ? stackalloc sbyte[MaxStackBytes] : rented;
        Span<bool> toModel = stackalloc bool[chunkRows / RowBlock];
        Span<float> state = stackalloc float[StateFloats];
        ref float pRef = ref MemoryMarshal.GetReference(pValues);
        ref sbyte eRef = ref MemoryMarshal.GetReference(emax);
        ref float accRef = ref MemoryMarshal.GetReference(acc);
        for (int first = 0; first < rows; first += chunkRows)
        {
            int last = Math.Min(rows, first + chunkRows);
            MaxExponents(pExponents, kv.ExponentBytesTokenMajor, tileStart + from, from, steps, d, first, last, emax);
            // NaN codes and negative P (never produced by the softmax) send their row block to the model.
            for (int r0 = first; r0 < last; r0 += RowBlock)
                toModel[(r0 - first) / RowBlock] = HasUnsupportedCodes(codes, r0, from, count);
            for (int c0 = 0; c0 < d; c0 += 32)
            for (int r0 = first; r0 < last; r0 += RowBlock)
            {
                if (toModel[(r0 - first) / RowBlock]) continue;
                bool outside = SumChain(ref Unsafe.Add(ref pRef, r0 * tile + from), ref Unsafe.Add(ref eRef, (r0 - first) * steps * d + c0),
                    d, steps, kv, (nuint)(((long)(c0 / PreparedKeyValueHead.SplitBlock) * kv.PaddedLength + tileStart + from) * 2 * PreparedKeyValueHead.SplitBlock),
                    ref accRef, (nuint)(r0 * accStride + c0), (nuint)accStride, state, fromZero);
                if (outside) ModelBlock(codes, kv, tileStart + from, from, count, r0, c0, 32, acc, accStride, fromZero);
            }
            for (int r0 = first; r0 < last; r0 += RowBlock)
                if (toModel[(r0 - first) / RowBlock]) ModelBlock(codes, kv, tileStart + from, from, count, r0, 0, d, acc, accStride, fromZero);
        }
        if (rented is not null) ArrayPool<sbyte>.Shared.Return(rented);
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

    /// <summary>
    /// emax[((r − first)·steps + step)·d + c] = max over the k-step's tokens of eP[r, k] + eV[k, c] (bytes; ≤ −56 when
    /// every product is zero: a zero code has −64 and the other exponent is at most 8; the smallest sum, −128, fits).
    /// </summary>
    private static void MaxExponents(ReadOnlySpan<sbyte> pExp, sbyte[] vExp, int token0, int from, int steps, int d, int first,
        int last, Span<sbyte> emax)
    {
        ref sbyte v = ref MemoryMarshal.GetArrayDataReference(vExp);
        ref sbyte p = ref MemoryMarshal.GetReference(pExp);
        ref sbyte o = ref MemoryMarshal.GetReference(emax);
        nuint rowStride = (nuint)(steps * d);
        for (int r0 = first; r0 < last; r0 += RowBlock)
        for (int step = 0; step < steps; step++)
        {
            nuint pAt = (nuint)(r0 * KernelTiling.KeyTileTokens + from + step * Step);
            nuint vAt = (nuint)((token0 + step * Step) * d);
            nuint oAt = (nuint)((r0 - first) * steps * d + step * d);
            int h = 0;
            // Two 64-channel halves at once: each broadcast P exponent serves 128 channels.
            for (; h + 128 <= d; h += 128)
            {
                var m00 = Vector512.Create(sbyte.MinValue);
                var m01 = m00; var m10 = m00; var m11 = m00; var m20 = m00; var m21 = m00; var m30 = m00; var m31 = m00;
                for (nuint k = 0, at = vAt + (nuint)h; k < Step; k++, at += (nuint)d)
                {
                    var e0 = Vector512.LoadUnsafe(ref v, at);
                    var e1 = Vector512.LoadUnsafe(ref v, at + 64);
                    var b = Vector512.Create(Unsafe.Add(ref p, pAt + k));
                    m00 = Vector512.Max(m00, e0 + b); m01 = Vector512.Max(m01, e1 + b);
                    b = Vector512.Create(Unsafe.Add(ref p, pAt + k + 128));
                    m10 = Vector512.Max(m10, e0 + b); m11 = Vector512.Max(m11, e1 + b);
                    b = Vector512.Create(Unsafe.Add(ref p, pAt + k + 256));
                    m20 = Vector512.Max(m20, e0 + b); m21 = Vector512.Max(m21, e1 + b);
                    b = Vector512.Create(Unsafe.Add(ref p, pAt + k + 384));
                    m30 = Vector512.Max(m30, e0 + b); m31 = Vector512.Max(m31, e1 + b);
                }
                nuint at0 = oAt + (nuint)h;
                m00.StoreUnsafe(ref o, at0); m01.StoreUnsafe(ref o, at0 + 64);
                m10.StoreUnsafe(ref o, at0 + rowStride); m11.StoreUnsafe(ref o, at0 + rowStride + 64);
                m20.StoreUnsafe(ref o, at0 + 2 * rowStride); m21.StoreUnsafe(ref o, at0 + 2 * rowStride + 64);
                m30.StoreUnsafe(ref o, at0 + 3 * rowStride); m31.StoreUnsafe(ref o, at0 + 3 * rowStride + 64);
            }
            for (; h < d; h += 64)
            {
                var m0 = Vector512.Create(sbyte.MinValue);
                var m1 = m0; var m2 = m0; var m3 = m0;
                for (nuint k = 0, at = vAt + (nuint)h; k < Step; k++, at += (nuint)d)
                {
                    var e = Vector512.LoadUnsafe(ref v, at);
                    m0 = Vector512.Max(m0, e + Vector512.Create(Unsafe.Add(ref p, pAt + k)));
                    m1 = Vector512.Max(m1, e + Vector512.Create(Unsafe.Add(ref p, pAt + k + 128)));
                    m2 = Vector512.Max(m2, e + Vector512.Create(Unsafe.Add(ref p, pAt + k + 256)));
                    m3 = Vector512.Max(m3, e + Vector512.Create(Unsafe.Add(ref p, pAt + k + 384)));
                }
                nuint at0 = oAt + (nuint)h;
                m0.StoreUnsafe(ref o, at0);
                m1.StoreUnsafe(ref o, at0 + rowStride);
                m2.StoreUnsafe(ref o, at0 + 2 * rowStride);
                m3.StoreUnsafe(ref o, at0 + 3 * rowStride);
            }
        }
    }

    /// <summary>Whether any of the 4 rows' codes in [from, from + count) is NaN or negative nonzero (those rows go to the model).</summary>
    private static bool HasUnsupportedCodes(ReadOnlySpan<byte> codes, int r0, int from, int count)
    {
        var bad = Vector256<byte>.Zero;
        for (int r = 0; r < RowBlock; r++)
        for (int s = from; s < from + count; s += Step)
        {
            var c = Vector256.Create(codes.Slice((r0 + r) * KernelTiling.KeyTileTokens + s, Step));
            bad |= Vector256.Equals(c & Vector256.Create((byte)0x7F), Vector256.Create((byte)0x7F))
                   | Vector256.GreaterThan(c, Vector256.Create((byte)0x80));
        }
        return bad != Vector256<byte>.Zero;
    }

    /// <summary>
    /// The whole chain (all k-steps) for 4 rows × 32 channels (from C = +0 with <paramref name="fromZero"/>): 8 slots of 16 lanes (row r = slot / 2, channels
    /// c0 + 16·(slot mod 2)). Per k-step and slot: E = max(byte maximum of the products, exponent of C), A₀ = 2^(E+23−f),
    /// the two pinned accumulators, 32 tokens of round-toward-zero FMAs, then the exact sum in the accumulator format,
    /// which is the next k-step's C. Returns true, writing nothing, when some lane leaves the envelope (C at entry
    /// not finite or with an exponent outside [−50, 100] unless zero; an FP16 sum that overflows): the caller then runs
    /// the block through the model.
    /// </summary>
    [SkipLocalsInit]
    private bool SumChain(ref float p0, ref sbyte e0, int d, int steps, PreparedKeyValueHead kv, nuint vAt, ref float acc,
        nuint o0, nuint accStride, Span<float> state, bool fromZero)
    {
        // state: C of each slot (128 floats), then A₀ of each slot (128 floats).
        ref float c = ref MemoryMarshal.GetReference(state);
        nuint o1 = o0 + accStride, o2 = o1 + accStride, o3 = o2 + accStride;
        if (!fromZero)
        {
            var outside = Enter(ref acc, o0, ref c, 0) | Enter(ref acc, o0 + 16, ref c, 16)
                          | Enter(ref acc, o1, ref c, 32) | Enter(ref acc, o1 + 16, ref c, 48)
                          | Enter(ref acc, o2, ref c, 64) | Enter(ref acc, o2 + 16, ref c, 80)
                          | Enter(ref acc, o3, ref c, 96) | Enter(ref acc, o3 + 16, ref c, 112);
            if (outside != Vector512<uint>.Zero) return true;
        }

        ref float split = ref MemoryMarshal.GetArrayDataReference(kv.ValuesSplit);
        nuint rowStride = (nuint)(steps * d);
        var overflow = Vector512<float>.Zero; // largest |sum| before FP16 rounding
        const FloatRoundingMode rz = FloatRoundingMode.ToZero;
        for (int step = 0; step < steps; step++)
        {
            nuint eAt = (nuint)(step * d);
            bool zero = fromZero && step == 0; // C = +0: not read from the state
            Start(ref c, 0, ref e0, eAt, zero, out var a00, out var b00);
            Start(ref c, 16, ref e0, eAt + 16, zero, out var a01, out var b01);
            Start(ref c, 32, ref e0, eAt + rowStride, zero, out var a10, out var b10);
            Start(ref c, 48, ref e0, eAt + rowStride + 16, zero, out var a11, out var b11);
            Start(ref c, 64, ref e0, eAt + 2 * rowStride, zero, out var a20, out var b20);
            Start(ref c, 80, ref e0, eAt + 2 * rowStride + 16, zero, out var a21, out var b21);
            Start(ref c, 96, ref e0, eAt + 3 * rowStride, zero, out var a30, out var b30);
            Start(ref c, 112, ref e0, eAt + 3 * rowStride + 16, zero, out var a31, out var b31);

            ref float p = ref Unsafe.Add(ref p0, step * Step);
            nuint at = vAt + (nuint)(step * Step * 2 * PreparedKeyValueHead.SplitBlock);
            for (nuint k = 0; k < Step; k++, at += 2 * PreparedKeyValueHead.SplitBlock)
            {
                var vp0 = Vector512.LoadUnsafe(ref split, at);
                var vp1 = Vector512.LoadUnsafe(ref split, at + 16);
                var vn0 = Vector512.LoadUnsafe(ref split, at + 32);
                var vn1 = Vector512.LoadUnsafe(ref split, at + 48);
                var pk = Vector512.Create(Unsafe.Add(ref p, k));
                a00 = Avx512F.FusedMultiplyAdd(pk, vp0, a00, rz);
                a01 = Avx512F.FusedMultiplyAdd(pk, vp1, a01, rz);
                b00 = Avx512F.FusedMultiplyAdd(pk, vn0, b00, rz);
                b01 = Avx512F.FusedMultiplyAdd(pk, vn1, b01, rz);
                pk = Vector512.Create(Unsafe.Add(ref p, k + 128));
                a10 = Avx512F.FusedMultiplyAdd(pk, vp0, a10, rz);
                a11 = Avx512F.FusedMultiplyAdd(pk, vp1, a11, rz);
                b10 = Avx512F.FusedMultiplyAdd(pk, vn0, b10, rz);
                b11 = Avx512F.FusedMultiplyAdd(pk, vn1, b11, rz);
                pk = Vector512.Create(Unsafe.Add(ref p, k + 256));
                a20 = Avx512F.FusedMultiplyAdd(pk, vp0, a20, rz);
                a21 = Avx512F.FusedMultiplyAdd(pk, vp1, a21, rz);
                b20 = Avx512F.FusedMultiplyAdd(pk, vn0, b20, rz);
                b21 = Avx512F.FusedMultiplyAdd(pk, vn1, b21, rz);
                pk = Vector512.Create(Unsafe.Add(ref p, k + 384));
                a30 = Avx512F.FusedMultiplyAdd(pk, vp0, a30, rz);
                a31 = Avx512F.FusedMultiplyAdd(pk, vp1, a31, rz);
                b30 = Avx512F.FusedMultiplyAdd(pk, vn0, b30, rz);
                b31 = Avx512F.FusedMultiplyAdd(pk, vn1, b31, rz);
            }

            Finish(a00, b00, ref c, 0, ref overflow);
            Finish(a01, b01, ref c, 16, ref overflow);
            Finish(a10, b10, ref c, 32, ref overflow);
            Finish(a11, b11, ref c, 48, ref overflow);
            Finish(a20, b20, ref c, 64, ref overflow);
            Finish(a21, b21, ref c, 80, ref overflow);
            Finish(a30, b30, ref c, 96, ref overflow);
            Finish(a31, b31, ref c, 112, ref overflow);
        }
        if (_shape.Fp16 && Avx512F.CompareGreaterThanOrEqual(overflow, Vector512.Create(Fp16Overflow)) != Vector512<float>.Zero) return true;
        Leave(ref c, 0, ref acc, o0); Leave(ref c, 16, ref acc, o0 + 16);
        Leave(ref c, 32, ref acc, o1); Leave(ref c, 48, ref acc, o1 + 16);
        Leave(ref c, 64, ref acc, o2); Leave(ref c, 80, ref acc, o2 + 16);
        Leave(ref c, 96, ref acc, o3); Leave(ref c, 112, ref acc, o3 + 16);
        return false;
    }

    /// <summary>
    /// Copies an incoming C into the state and returns its lanes outside the envelope: not finite, or nonzero with an
    /// exponent outside [−50, 100]. (Inside, E ≥ −128 and the chain keeps E ≤ 104, so A₀ stays a normal number; and
    /// when every product is zero, the byte maximum, ≤ −56, never hides C's own exponent.)
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Enter(ref float acc, nuint at, ref float state, nuint slot)
    {
        var x = Vector512.LoadUnsafe(ref acc, at);
        x.StoreUnsafe(ref state, slot);
        var e = Avx512F.GetExponent(x); // −inf for ±0, +inf for ±inf, NaN for NaN
        var inside = (Avx512F.CompareGreaterThanOrEqual(e, Vector512.Create((float)LowestEntryExponent))
                      & Avx512F.CompareLessThanOrEqual(e, Vector512.Create((float)HighestEntryExponent)))
                     | Avx512F.CompareEqual(x, Vector512<float>.Zero);
        return ~inside.AsUInt32();
    }

    /// <summary>
    /// A k-step's start for one slot: E = max(byte maximum, exponent of C) (getexp gives −∞ for a zero C), A₀ = 2^(E+23−f)
    /// kept in the state, and the accumulators RZ(+A₀ + max(C, 0)) and RZ(min(C, 0) − A₀): C truncated at 2^(E−f).
    /// With <paramref name="zeroC"/> (a fresh chain's first k-step) C = +0: E is the byte maximum and the accumulators
    /// are ±A₀.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Start(ref float state, nuint slot, ref sbyte emax, nuint at, bool zeroC, out Vector512<float> a, out Vector512<float> b)
    {
        var products = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref emax, at)));
        if (zeroC)
        {
            var z = Avx512F.Scale(Vector512.Create(_shape.PinScale), products);
            z.StoreUnsafe(ref state, slot + 128);
            a = z;
            b = -z;
            return;
        }
        var c = Vector512.LoadUnsafe(ref state, slot);
        var e = Avx512F.Max(products, Avx512F.GetExponent(c));
        var a0 = Avx512F.Scale(Vector512.Create(_shape.PinScale), e);
        a0.StoreUnsafe(ref state, slot + 128);
        a = Avx512F.Add(a0, Avx512F.Max(c, Vector512<float>.Zero), FloatRoundingMode.ToZero);
        b = Avx512F.Subtract(Avx512F.Min(c, Vector512<float>.Zero), a0, FloatRoundingMode.ToZero);
    }

    /// <summary>
    /// (A − A₀) + (B + A₀), exact (+0 for a zero sum), written in the accumulator format into the state: FP32 truncated
    /// to the model's fraction bits (a mask); FP16 rounded to nearest-even by adding and removing 1.5·2^(e+13), e = the
    /// sum's exponent pinned at −14 (FP16's subnormal quantum), whose fp32 ulp is exactly FP16's. The largest |sum| is
    /// kept so that an FP16 overflow (≥ 65520, which rounds to ±inf) sends the block to the model.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Finish(Vector512<float> a, Vector512<float> b, ref float state, nuint slot, ref Vector512<float> overflow)
    {
        var a0 = Vector512.LoadUnsafe(ref state, slot + 128);
        var x = (a - a0) + (b + a0);
        if (_shape.Fp16)
        {
            overflow = Avx512F.Max(overflow, (x.AsUInt32() & Vector512.Create(0x7FFF_FFFFu)).AsSingle());
            var e = Avx512F.Max(Avx512F.GetExponent(x), Vector512.Create(-14f));
            var magic = Avx512F.Scale(Vector512.Create(1.5f * 8192f), e);
            x = (x + magic) - magic;
        }
        else
        {
            x = (x.AsUInt32() & Vector512.Create(_shape.Fp32Mask)).AsSingle();
        }
        x.StoreUnsafe(ref state, slot);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Leave(ref float state, nuint slot, ref float acc, nuint at) =>
        Vector512.LoadUnsafe(ref state, slot).StoreUnsafe(ref acc, at);

    /// <summary>The chain for rows r0..r0+3 and <paramref name="width"/> channels from <paramref name="c0"/>, by the model.</summary>
    private void ModelBlock(ReadOnlySpan<byte> codes, PreparedKeyValueHead kv, int token0, int from, int count, int r0, int c0, int width,
        Span<float> acc, int accStride, bool fromZero)
    {
        for (int r = r0; r < r0 + RowBlock; r++)
        {
            var p8 = codes.Slice(r * KernelTiling.KeyTileTokens + from, count);
            for (int c = c0; c < c0 + width; c++)
                acc[r * accStride + c] = _shape.Model.DotBytes(p8, kv.ValueCodesTransposed.AsSpan(c * kv.PaddedLength + token0, count),
                    fromZero ? 0f : acc[r * accStride + c]);
        }
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
