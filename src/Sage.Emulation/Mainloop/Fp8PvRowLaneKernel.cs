using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Sage.Emulation.Preprocessing;
using Sage.Emulation.TensorCores;

namespace Sage.Emulation.Mainloop;

/// <summary>
/// <see cref="Fp8FusedDotModel"/> (the measured wgmma.e4m3 model) for the 128 rows of a query tile at once, with the
/// rows in the vector lanes: one round-toward-zero FMA per product, where <see cref="Fp8PvTileKernel"/> (channels in
/// the lanes) needs two, and each 16-row P load serves two channels. Equal to the model bit for bit, by construction:
/// <list type="bullet">
/// <item>The model's k-step sums 32 terms, each truncated toward zero at 2^(E−f), exactly: the order of the terms does
/// not matter. With the rows in the lanes, V[t, c] is one scalar for all lanes (and P is never negative here), so the
/// sign of each term is known per (token, channel), and the tokens can be visited in any order.</item>
/// <item>Binades: with A₀ = 2^(E+23−f), every fp32 of magnitude in [A₀, 2A₀) is a multiple of 2^(E−f). Running sums of
/// the truncated terms stay below 114.5·2^E in magnitude (32 products under 3.52·2^E, |C| under 2^(E+1)), less than
/// A₀/2 since f ≤ 15; so an accumulator A = +1.5·A₀ + S (positive phase) or −1.5·A₀ + S (negative phase) stays in its
/// binade, and A ← RZ(p·v + A) adds exactly floor(p·v) in the positive phase, ceil(p·v) in the negative one: trunc for
/// positive terms in the first, negative terms in the second. Moving between phases adds ∓3·A₀ (exact).</item>
/// <item>Channels go in pairs (c, c + 1), which share every P load. The k-step's tokens are taken by the signs of their
/// two V codes (<see cref="PreparedKeyValueHead.SignOrderedRows"/>): A = (+, +), B = (+, −), D = (−, −), C = (−, +), with
/// pseudo entries (rows of the P block that hold A₀ or min(C, 0), multiplied by −3, +3, 1, or 0 for the other channel)
/// where a channel changes phase: channel c sees A, B positive, then D, C negative; channel c + 1 sees A positive, B, D
/// negative (its min(C, 0) joins there), then C positive again. Both start at RZ(1.5·A₀ + max(C, 0)); c's min(C, 0) joins
/// after the loop. The k-step's exact sum is then A + 1.5·A₀ (c) or A − 1.5·A₀ (c + 1), a multiple of 2^(E−f) below
/// 2^(E+7): exact, +0 when zero.</item>
/// <item>Then, as in <see cref="Fp8PvTileKernel"/>: FP32 truncation (a mask) or FP16 RNE (add and remove 1.5·2^(e+13));
/// E per (row, channel) from byte maxima of exponent sums and getexp(C); the same envelope: a channel pair whose incoming
/// C is not finite or has an exponent outside [−50, 100], or whose FP16 sums overflow, goes to the model; so does a whole
/// call with a NaN or negative P code.</item>
/// </list>
/// P comes transposed: [token of the K tile][128 rows] (<see cref="TransposeCodes"/>, then <see cref="Fp8PvTileKernel.Decode"/>),
/// and so do the accumulators: [channel][128 rows]. The k-step loop is outermost, so that the step's P block (16 KiB)
/// stays in L1 for all channels.
/// tests/Property/Emulation/Fp8PvRowLaneKernelTests checks equality with <see cref="Fp8FusedDotModel.DotBytes"/>.
/// </summary>
public sealed class Fp8PvRowLaneKernel
{
    /// <summary>Rows (lanes) of one call: a query tile.</summary>
    public const int Rows = KernelTiling.QueryTileRows;

    private const int Tile = KernelTiling.KeyTileTokens;
    private const int Step = KernelTiling.PvKStep;
    private const int LowestEntryExponent = -50, HighestEntryExponent = 100;
    private const float Fp16Overflow = 65520f;

    private readonly Fp8PvModelShape _shape; // the model and the constants derived from it

    private Fp8PvRowLaneKernel(Fp8PvModelShape shape) => _shape = shape;

    /// <summary>The kernel for <paramref name="model"/>, or null when the model or the CPU is not of the supported shape.</summary>
    public static Fp8PvRowLaneKernel? TryCreate(IDotProductModel model) =>
        Avx512F.IsSupported && Avx512BW.IsSupported
        && Fp8PvModelShape.Of(model, maxAlignmentBits: 15) is { } shape ? new Fp8PvRowLaneKernel(shape) : null;

    /// <summary>Whether <paramref name="kv"/> can be run by this kernel (no NaN V code, an even head dim: channels go in pairs).</summary>
    public static bool Supports(PreparedKeyValueHead kv) => !kv.HasNaNValueCode && kv.HeadDim % 2 == 0;

    /// <summary>
    /// codesT[t·128 + r] = codes[r·128 + t] for the 128 × 128 P codes of a query tile and K tile (16 × 16 byte blocks
    /// transposed by four rounds of byte interleaving, four blocks per 512-bit register).
    /// </summary>
    public static void TransposeCodes(ReadOnlySpan<byte> codes, Span<byte> codesT)
    {
        const int n = Rows;
        if (codes.Length < n * Tile || codesT.Length < n * Tile)
            throw new ArgumentException($"codes and codesT hold {codes.Length} and {codesT.Length}; expected ≥ {n * Tile}.", nameof(codes));
        ref byte src = ref MemoryMarshal.GetReference(codes);
        ref byte dst = ref MemoryMarshal.GetReference(codesT);
        if (!Avx512BW.IsSupported)
        {
            for (int r = 0; r < n; r++)
            for (int t = 0; t < Tile; t++)
                Unsafe.Add(ref dst, t * n + r) = Unsafe.Add(ref src, r * Tile + t);
            return;
        }
        Span<Vector512<byte>> x = stackalloc Vector512<byte>[16];
        Span<Vector512<byte>> y = stackalloc Vector512<byte>[16];
        for (int r0 = 0; r0 < n; r0 += 16)
        for (int t0 = 0; t0 < Tile; t0 += 64)
        {
            for (int i = 0; i < 16; i++) x[i] = Vector512.LoadUnsafe(ref src, (nuint)((r0 + i) * Tile + t0));
            // Each round maps (row bits R3R2R1R0, column bits C3C2C1C0) to (R2R1R0C3, C2C1C0R3); four rounds transpose.
            for (int round = 0; round < 4; round++)
            {
                var a = round % 2 == 0 ? x : y;
                var b = round % 2 == 0 ? y : x;
                for (int i = 0; i < 8; i++)
                {
                    b[2 * i] = Avx512BW.UnpackLow(a[i], a[i + 8]);
                    b[2 * i + 1] = Avx512BW.UnpackHigh(a[i], a[i + 8]);
                }
            }
            // Register j, 128-bit lane L: token t0 + 16L + j of rows r0..r0+15.
            for (int j = 0; j < 16; j++)
            {
                var v = x[j].AsUInt64();
                nuint at = (nuint)((t0 + j) * n + r0);
                Avx512F.ExtractVector128(v, 0).AsByte().StoreUnsafe(ref dst, at);
                Avx512F.ExtractVector128(v, 1).AsByte().StoreUnsafe(ref dst, at + 16 * n);
                Avx512F.ExtractVector128(v, 2).AsByte().StoreUnsafe(ref dst, at + 32 * n);
                Avx512F.ExtractVector128(v, 3).AsByte().StoreUnsafe(ref dst, at + 48 * n);
            }
        }
    }

    /// <summary>
    /// The same on raw codes, for checking the kernel against the model: <paramref name="codes"/> holds 128 rows × 128
    /// tokens of P codes (row-major), <paramref name="valueCodes"/> one K/V tile, 128 tokens × <paramref name="headDim"/>
    /// (token-major); the codes are transposed (<see cref="TransposeCodes"/>) and decoded here.
    /// </summary>
    public void Chain(ReadOnlySpan<byte> codes, ReadOnlySpan<byte> valueCodes, int headDim, int from, int count, Span<float> accT, bool fromZero)
    {
        if (valueCodes.Length != Tile * headDim)
            throw new ArgumentException($"Expected 128 × {headDim} V codes; got {valueCodes.Length}.", nameof(valueCodes));
        var kv = new PreparedKeyValueHead(Tile, headDim);
        for (int t = 0; t < Tile; t++)
        for (int c = 0; c < headDim; c++)
            kv.ValueCodesTransposed[c * Tile + t] = valueCodes[t * headDim + c];
        kv.DeriveTokenMajorValues();
        var codesT = new byte[Rows * Tile];
        var pT = new float[Rows * Tile];
        var eT = new sbyte[Rows * Tile];
        TransposeCodes(codes, codesT);
        Fp8PvTileKernel.Decode(codesT, pT, eT);
        Chain(codesT, pT, eT, 0, from, count, kv, accT, fromZero);
    }

    /// <summary>
    /// For every row r &lt; 128 and channel c: accT[c·128 + r] = chain of k-steps over tokens [from, from + count) of the
    /// K/V tile at global token <paramref name="tileStart"/>, with the P codes <paramref name="codesT"/>[t·128 + r] (t the
    /// token within the tile), decoded into <paramref name="pT"/> and <paramref name="eT"/> (same layout), starting from
    /// C = accT[c·128 + r], or from +0 with <paramref name="fromZero"/> (accT is then only written).
    /// </summary>
    [SkipLocalsInit]
    public unsafe void Chain(ReadOnlySpan<byte> codesT, ReadOnlySpan<float> pT, ReadOnlySpan<sbyte> eT, int tileStart, int from, int count,
        PreparedKeyValueHead kv, Span<float> accT, bool fromZero)
    {
        int d = kv.HeadDim;
        if (!Supports(kv)) throw new ArgumentException($"The K/V head has a NaN V code or an odd head dim ({kv.HeadDim}); expected neither.", nameof(kv));
        if (codesT.Length < Rows * Tile || pT.Length < Rows * Tile || eT.Length < Rows * Tile)
            throw new ArgumentException($"codesT, pT, eT hold {codesT.Length}, {pT.Length}, {eT.Length}; expected ≥ {Rows * Tile} each.", nameof(codesT));
        if (accT.Length < d * Rows) throw new ArgumentException($"accT holds {accT.Length}; expected ≥ {d * Rows}.", nameof(accT));
        if (from < 0 || count < 0 || from % Step != 0 || count % Step != 0 || from + count > Tile)
            throw new ArgumentOutOfRangeException(nameof(count), $"from = {from}, count = {count}; expected multiples of {Step} within the tile.");
        if (tileStart < 0 || tileStart % Tile != 0 || tileStart + Tile > kv.PaddedLength)
            throw new ArgumentOutOfRangeException(nameof(tileStart), tileStart, $"expected a tile start within {kv.PaddedLength} tokens.");
        if (count == 0) return;

        if (HasUnsupportedCodes(codesT, from, count))
        {
            for (int c = 0; c < d; c++) ModelChannel(codesT, kv, tileStart, from, count, c, accT, fromZero, null);
            return;
        }
        // k-step outermost: the step's P block (32 token rows of 128 lanes, 16 KiB) stays in L1 for all channels; each
        // channel's C lives in its accT column between k-steps. A channel that leaves the envelope is finished by the
        // model (from the original C: kept aside when a FP16 chain starts from a given C, which the emulator never does).
        float[]? original = _shape.Fp16 && !fromZero ? accT.Slice(0, d * Rows).ToArray() : null;
        Span<bool> toModel = d <= 512 ? stackalloc bool[d] : new bool[d];
        toModel.Clear();
        // The k-step's P block and exponent bytes are copied to 64-byte aligned stack memory: the FMA loop makes one
        // 64-byte load per two FMAs, and loads that straddle cache lines would cost twice as much.
        const int blockBytes = BlockRows * Rows * sizeof(float), exponentBytes = Step * Rows;
        Span<byte> raw = stackalloc byte[blockBytes + 2 * Rows * sizeof(float) + exponentBytes + 64];
        int skew = (int)(64 - ((nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(raw)) & 63)) & 63;
        var block = MemoryMarshal.Cast<byte, float>(raw.Slice(skew, blockBytes + 2 * Rows * sizeof(float)));
        var exponents = MemoryMarshal.Cast<byte, sbyte>(raw.Slice(skew + blockBytes + 2 * Rows * sizeof(float), exponentBytes));
        int steps = count / Step;
        for (int s = 0; s < steps; s++)
        {
            int token = from + s * Step;
            pT.Slice(token * Rows, Step * Rows).CopyTo(block);
            eT.Slice(token * Rows, Step * Rows).CopyTo(exponents);
            for (int c = 0; c < d; c += 2)
            {
                if (toModel[c]) continue;
                toModel[c] = toModel[c + 1] = StepChannels(c, ref MemoryMarshal.GetReference(block), ref MemoryMarshal.GetReference(exponents),
                    kv, tileStart + token, ref accT[c * Rows], fromZero && s == 0, !fromZero && s == 0);
            }
        }
        for (int c = 0; c < d; c++)
            if (toModel[c]) ModelChannel(codesT, kv, tileStart, from, count, c, accT, fromZero, original);
    }

    /// <summary>Rows of the per-k-step P block: 32 tokens, then the pair's A₀ (c, c + 1).</summary>
    private const int BlockRows = Step + 2;

    /// <summary>Row of the per-k-step block holding channel c's A₀ (its switch multiplies it by −3).</summary>
    public const byte FirstPinRow = Step;

    /// <summary>Row of the per-k-step block holding channel c + 1's A₀ (its switches multiply it by ∓3).</summary>
    public const byte SecondPinRow = Step + 1;

    /// <summary>Whether any code of tokens [from, from + count) is NaN or negative nonzero.</summary>
    private static bool HasUnsupportedCodes(ReadOnlySpan<byte> codesT, int from, int count)
    {
        var bad = Vector512<byte>.Zero;
        for (int i = from * Rows; i < (from + count) * Rows; i += 64)
        {
            var c = Vector512.Create(codesT.Slice(i, 64));
            bad |= Vector512.Equals(c & Vector512.Create((byte)0x7F), Vector512.Create((byte)0x7F))
                   | Vector512.GreaterThan(c, Vector512.Create((byte)0x80));
        }
        return bad != Vector512<byte>.Zero;
    }

    /// <summary>
    /// One k-step of channels c and c + 1 for all 128 rows (2 × 8 groups of 16 lanes: 16 independent FMA chains), C read
    /// from and the result written to <paramref name="column"/> (the two channels' accT columns, c's first; C = +0 with
    /// <paramref name="zeroC"/>). Returns true when some lane leaves the envelope: an incoming C checked with
    /// <paramref name="checkC"/> (nothing is written then), or an FP16 sum that overflows; the caller then gives both
    /// channels to the model.
    /// </summary>
    [SkipLocalsInit]
    private bool StepChannels(int c, ref float block, ref sbyte ep, PreparedKeyValueHead kv, int token0, ref float column,
        bool zeroC, bool checkC)
    {
        if (checkC)
        {
            var outside = Vector512<uint>.Zero;
            for (nuint g = 0; g < 2 * Rows; g += 16)
            {
                var x = Vector512.LoadUnsafe(ref column, g);
                var e = Avx512F.GetExponent(x);
                var inside = (Avx512F.CompareGreaterThanOrEqual(e, Vector512.Create((float)LowestEntryExponent))
                              & Avx512F.CompareLessThanOrEqual(e, Vector512.Create((float)HighestEntryExponent)))
                             | Avx512F.CompareEqual(x, Vector512<float>.Zero);
                outside |= ~inside.AsUInt32();
            }
            if (outside != Vector512<uint>.Zero) return true;
        }

        // E's byte part: max over the k-step's tokens of eP + eV, 64 rows per register.
        ref sbyte ev = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(kv.ExponentBytesChannelMajor), (nint)((long)c * kv.PaddedLength + token0));
        nuint evNext = (nuint)kv.PaddedLength;
        var m0 = Vector512.Create(sbyte.MinValue);
        var m1 = m0;
        var n0 = m0;
        var n1 = m0;
        for (nuint t = 0; t < Step; t++)
        {
            var e0 = Vector512.LoadUnsafe(ref ep, t * Rows);
            var e1 = Vector512.LoadUnsafe(ref ep, t * Rows + 64);
            var b = Vector512.Create(Unsafe.Add(ref ev, t));
            m0 = Vector512.Max(m0, e0 + b);
            m1 = Vector512.Max(m1, e1 + b);
            b = Vector512.Create(Unsafe.Add(ref ev, t + evNext));
            n0 = Vector512.Max(n0, e0 + b);
            n1 = Vector512.Max(n1, e1 + b);
        }
        // A₀ of both channels; the accumulators start at 1.5·A₀ + trunc(C), the middle of [A₀, 2A₀) plus C truncated at
        // 2^(E−f): trunc(C) = RZ(X + C) − X with X = 1.5·A₀ carrying C's sign (X + C stays in X's binade; both exact).
        // The byte maxima are taken from the registers 16 at a time (a reload through memory would stall on store
        // forwarding).
        var pinScale = Vector512.Create(_shape.PinScale);
        ref float pins = ref Unsafe.Add(ref block, FirstPinRow * Rows);
        ref float pins1 = ref Unsafe.Add(ref block, SecondPinRow * Rows);
        ref float starts = ref Unsafe.Add(ref block, BlockRows * Rows); // 2 × 128 floats past the block
        ref float column1 = ref Unsafe.Add(ref column, Rows);
        Start(Avx512F.ExtractVector128(m0.AsInt32(), 0).AsSByte(), ref column, ref pins, ref starts, 0, zeroC, pinScale);
        Start(Avx512F.ExtractVector128(m0.AsInt32(), 1).AsSByte(), ref column, ref pins, ref starts, 16, zeroC, pinScale);
        Start(Avx512F.ExtractVector128(m0.AsInt32(), 2).AsSByte(), ref column, ref pins, ref starts, 32, zeroC, pinScale);
        Start(Avx512F.ExtractVector128(m0.AsInt32(), 3).AsSByte(), ref column, ref pins, ref starts, 48, zeroC, pinScale);
        Start(Avx512F.ExtractVector128(m1.AsInt32(), 0).AsSByte(), ref column, ref pins, ref starts, 64, zeroC, pinScale);
        Start(Avx512F.ExtractVector128(m1.AsInt32(), 1).AsSByte(), ref column, ref pins, ref starts, 80, zeroC, pinScale);
        Start(Avx512F.ExtractVector128(m1.AsInt32(), 2).AsSByte(), ref column, ref pins, ref starts, 96, zeroC, pinScale);
        Start(Avx512F.ExtractVector128(m1.AsInt32(), 3).AsSByte(), ref column, ref pins, ref starts, 112, zeroC, pinScale);
        ref float starts1 = ref Unsafe.Add(ref starts, Rows);
        Start(Avx512F.ExtractVector128(n0.AsInt32(), 0).AsSByte(), ref column1, ref pins1, ref starts1, 0, zeroC, pinScale);
        Start(Avx512F.ExtractVector128(n0.AsInt32(), 1).AsSByte(), ref column1, ref pins1, ref starts1, 16, zeroC, pinScale);
        Start(Avx512F.ExtractVector128(n0.AsInt32(), 2).AsSByte(), ref column1, ref pins1, ref starts1, 32, zeroC, pinScale);
        Start(Avx512F.ExtractVector128(n0.AsInt32(), 3).AsSByte(), ref column1, ref pins1, ref starts1, 48, zeroC, pinScale);
        Start(Avx512F.ExtractVector128(n1.AsInt32(), 0).AsSByte(), ref column1, ref pins1, ref starts1, 64, zeroC, pinScale);
        Start(Avx512F.ExtractVector128(n1.AsInt32(), 1).AsSByte(), ref column1, ref pins1, ref starts1, 80, zeroC, pinScale);
        Start(Avx512F.ExtractVector128(n1.AsInt32(), 2).AsSByte(), ref column1, ref pins1, ref starts1, 96, zeroC, pinScale);
        Start(Avx512F.ExtractVector128(n1.AsInt32(), 3).AsSByte(), ref column1, ref pins1, ref starts1, 112, zeroC, pinScale);

        // The 35 round-toward-zero multiply-adds per lane and channel (PreparedKeyValueHead.SignOrderedRows): each
        // block row loaded once serves both channels.
        var a0v = Vector512.LoadUnsafe(ref starts, 0);
        var a1v = Vector512.LoadUnsafe(ref starts, 16);
        var a2v = Vector512.LoadUnsafe(ref starts, 32);
        var a3v = Vector512.LoadUnsafe(ref starts, 48);
        var a4v = Vector512.LoadUnsafe(ref starts, 64);
        var a5v = Vector512.LoadUnsafe(ref starts, 80);
        var a6v = Vector512.LoadUnsafe(ref starts, 96);
        var a7v = Vector512.LoadUnsafe(ref starts, 112);
        var b0v = Vector512.LoadUnsafe(ref starts, 128);
        var b1v = Vector512.LoadUnsafe(ref starts, 144);
        var b2v = Vector512.LoadUnsafe(ref starts, 160);
        var b3v = Vector512.LoadUnsafe(ref starts, 176);
        var b4v = Vector512.LoadUnsafe(ref starts, 192);
        var b5v = Vector512.LoadUnsafe(ref starts, 208);
        var b6v = Vector512.LoadUnsafe(ref starts, 224);
        var b7v = Vector512.LoadUnsafe(ref starts, 240);
        nint list = (nint)(((long)c / 2 * kv.PaddedLength + token0) / Step * PreparedKeyValueHead.SignOrderStride);
        ref byte rowOf = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(kv.SignOrderedRows), list);
        ref float valueOf = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(kv.SignOrderedValues), 2 * list);
        const FloatRoundingMode rz = FloatRoundingMode.ToZero;
        for (nuint k = 0; k < PreparedKeyValueHead.SignOrderStride; k++)
        {
            nuint at = (nuint)Unsafe.Add(ref rowOf, k) * Rows;
            var v = Vector512.Create(Unsafe.Add(ref valueOf, 2 * k));
            var w = Vector512.Create(Unsafe.Add(ref valueOf, 2 * k + 1));
            var x = Vector512.LoadUnsafe(ref block, at);
            a0v = Avx512F.FusedMultiplyAdd(x, v, a0v, rz);
            b0v = Avx512F.FusedMultiplyAdd(x, w, b0v, rz);
            x = Vector512.LoadUnsafe(ref block, at + 16);
            a1v = Avx512F.FusedMultiplyAdd(x, v, a1v, rz);
            b1v = Avx512F.FusedMultiplyAdd(x, w, b1v, rz);
            x = Vector512.LoadUnsafe(ref block, at + 32);
            a2v = Avx512F.FusedMultiplyAdd(x, v, a2v, rz);
            b2v = Avx512F.FusedMultiplyAdd(x, w, b2v, rz);
            x = Vector512.LoadUnsafe(ref block, at + 48);
            a3v = Avx512F.FusedMultiplyAdd(x, v, a3v, rz);
            b3v = Avx512F.FusedMultiplyAdd(x, w, b3v, rz);
            x = Vector512.LoadUnsafe(ref block, at + 64);
            a4v = Avx512F.FusedMultiplyAdd(x, v, a4v, rz);
            b4v = Avx512F.FusedMultiplyAdd(x, w, b4v, rz);
            x = Vector512.LoadUnsafe(ref block, at + 80);
            a5v = Avx512F.FusedMultiplyAdd(x, v, a5v, rz);
            b5v = Avx512F.FusedMultiplyAdd(x, w, b5v, rz);
            x = Vector512.LoadUnsafe(ref block, at + 96);
            a6v = Avx512F.FusedMultiplyAdd(x, v, a6v, rz);
            b6v = Avx512F.FusedMultiplyAdd(x, w, b6v, rz);
            x = Vector512.LoadUnsafe(ref block, at + 112);
            a7v = Avx512F.FusedMultiplyAdd(x, v, a7v, rz);
            b7v = Avx512F.FusedMultiplyAdd(x, w, b7v, rz);
        }
        // Channel c ends in its negative binade: S = A + 1.5·A₀; channel c + 1 in its positive one: S = A − 1.5·A₀.
        // Both exact (+0 when zero).
        var p15 = Vector512.Create(1.5f);
        var overflow = Finish(Vector512.FusedMultiplyAdd(p15, Vector512.LoadUnsafe(ref pins, 0), a0v), ref column, 0)
                       | Finish(Vector512.FusedMultiplyAdd(p15, Vector512.LoadUnsafe(ref pins, 16), a1v), ref column, 16)
                       | Finish(Vector512.FusedMultiplyAdd(p15, Vector512.LoadUnsafe(ref pins, 32), a2v), ref column, 32)
                       | Finish(Vector512.FusedMultiplyAdd(p15, Vector512.LoadUnsafe(ref pins, 48), a3v), ref column, 48)
                       | Finish(Vector512.FusedMultiplyAdd(p15, Vector512.LoadUnsafe(ref pins, 64), a4v), ref column, 64)
                       | Finish(Vector512.FusedMultiplyAdd(p15, Vector512.LoadUnsafe(ref pins, 80), a5v), ref column, 80)
                       | Finish(Vector512.FusedMultiplyAdd(p15, Vector512.LoadUnsafe(ref pins, 96), a6v), ref column, 96)
                       | Finish(Vector512.FusedMultiplyAdd(p15, Vector512.LoadUnsafe(ref pins, 112), a7v), ref column, 112);
        var m15 = Vector512.Create(-1.5f);
        overflow |= Finish(Vector512.FusedMultiplyAdd(m15, Vector512.LoadUnsafe(ref pins1, 0), b0v), ref column1, 0)
                    | Finish(Vector512.FusedMultiplyAdd(m15, Vector512.LoadUnsafe(ref pins1, 16), b1v), ref column1, 16)
                    | Finish(Vector512.FusedMultiplyAdd(m15, Vector512.LoadUnsafe(ref pins1, 32), b2v), ref column1, 32)
                    | Finish(Vector512.FusedMultiplyAdd(m15, Vector512.LoadUnsafe(ref pins1, 48), b3v), ref column1, 48)
                    | Finish(Vector512.FusedMultiplyAdd(m15, Vector512.LoadUnsafe(ref pins1, 64), b4v), ref column1, 64)
                    | Finish(Vector512.FusedMultiplyAdd(m15, Vector512.LoadUnsafe(ref pins1, 80), b5v), ref column1, 80)
                    | Finish(Vector512.FusedMultiplyAdd(m15, Vector512.LoadUnsafe(ref pins1, 96), b6v), ref column1, 96)
                    | Finish(Vector512.FusedMultiplyAdd(m15, Vector512.LoadUnsafe(ref pins1, 112), b7v), ref column1, 112);
        return overflow != Vector512<uint>.Zero;
    }

    /// <summary>
    /// One group of 16 lanes: A₀ = 2^(E+23−f) with E = max(byte maximum, getexp(C)) (the byte maximum alone for a fresh
    /// chain), stored in the block's A₀ row, and the accumulator's start 1.5·A₀ + trunc(C).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Start(Vector128<sbyte> emax, ref float column, ref float pinRow, ref float starts, nuint g, bool zeroC,
        Vector512<float> pinScale)
    {
        var products = Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(emax));
        if (zeroC)
        {
            var z = Avx512F.Scale(pinScale, products);
            z.StoreUnsafe(ref pinRow, g);
            (z * 1.5f).StoreUnsafe(ref starts, g);
            return;
        }
        var cv = Vector512.LoadUnsafe(ref column, g);
        var a0 = Avx512F.Scale(pinScale, Avx512F.Max(products, Avx512F.GetExponent(cv)));
        a0.StoreUnsafe(ref pinRow, g);
        var middle = a0 * 1.5f;
        var x = (middle.AsUInt32() | (cv.AsUInt32() & Vector512.Create(0x8000_0000u))).AsSingle();
        (middle + (Avx512F.Add(x, cv, FloatRoundingMode.ToZero) - x)).StoreUnsafe(ref starts, g);
    }

    /// <summary>
    /// The k-step's exact sum x written in the accumulator format (FP32 truncated by a mask; FP16 RNE by adding and
    /// removing 1.5·2^(e+13), e pinned at −14). Returns the lanes whose FP16 sum overflows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector512<uint> Finish(Vector512<float> x, ref float column, nuint g)
    {
        if (_shape.Fp16)
        {
            var overflow = Avx512F.CompareGreaterThanOrEqual((x.AsUInt32() & Vector512.Create(0x7FFF_FFFFu)).AsSingle(), Vector512.Create(Fp16Overflow));
            var e = Avx512F.Max(Avx512F.GetExponent(x), Vector512.Create(-14f));
            var magic = Avx512F.Scale(Vector512.Create(1.5f * 8192f), e);
            ((x + magic) - magic).StoreUnsafe(ref column, g);
            return overflow.AsUInt32();
        }
        (x.AsUInt32() & Vector512.Create(_shape.Fp32Mask)).AsSingle().StoreUnsafe(ref column, g);
        return Vector512<uint>.Zero;
    }

    /// <summary>The chain of channel <paramref name="c"/> for all rows, by the model.</summary>
    private void ModelChannel(ReadOnlySpan<byte> codesT, PreparedKeyValueHead kv, int tileStart, int from, int count, int c, Span<float> accT,
        bool fromZero, float[]? original)
    {
        Span<byte> row = stackalloc byte[Tile];
        var v = kv.ValueCodesTransposed.AsSpan(c * kv.PaddedLength + tileStart + from, count);
        for (int r = 0; r < Rows; r++)
        {
            for (int t = 0; t < count; t++) row[t] = codesT[(from + t) * Rows + r];
            accT[c * Rows + r] = _shape.Model.DotBytes(row.Slice(0, count), v, fromZero ? 0f : original is not null ? original[c * Rows + r] : accT[c * Rows + r]);
        }
    }
}
