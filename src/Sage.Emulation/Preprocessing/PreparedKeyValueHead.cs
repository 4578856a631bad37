using System.Runtime.Intrinsics;

namespace Sage.Emulation.Preprocessing;

/// <summary>
/// Everything the main loop reads for one (batch, key/value head): the output of the pre-processing kernels
/// (KSmoothing, K quantisation, VSmoothing, VQuantization). O(sequence × head dim), shared by the query heads of a GQA group.
/// </summary>
public sealed class PreparedKeyValueHead
{
    internal PreparedKeyValueHead(int length, int headDim) : this(length, headDim, pooled: false) { }

    /// <summary>
    /// With <paramref name="pooled"/>, the O(sequence × head dim) arrays are rented from the shared array pools (longer
    /// than needed, with stale contents: the pre-processing overwrites every element the main loop reads) and
    /// <see cref="ReturnToPool"/> gives them back after the run; repeated runs then reuse memory instead of having the GC
    /// zero and the kernel fault in ~8 MiB per head each time.
    /// </summary>
    internal PreparedKeyValueHead(int length, int headDim, bool pooled)
    {
        Length = length;
        HeadDim = headDim;
        Tiles = KernelTiling.TileCount(length, KernelTiling.KeyTileTokens);
        PaddedLength = Tiles * KernelTiling.KeyTileTokens;
        _pooled = pooled;
        long padded = (long)PaddedLength * headDim;
        KeyMean = new float[headDim];
        SmoothedKeys = Allocate<float>((long)length * headDim);
        QuantizedKeys = Allocate<sbyte>(padded);
        KeysInterleaved = Allocate<sbyte>(padded);
        KeySums = Allocate<int>(PaddedLength);
        KeyScalePerToken = Allocate<float>(PaddedLength);
        ValueMean = new float[headDim];
        ValueScales = new float[headDim];
        ValueCodesTransposed = Allocate<byte>(padded);
        ValuesSplit = Allocate<float>(2 * padded);
        ExponentBytesTokenMajor = Allocate<sbyte>(padded);
        long lists = padded / KernelTiling.PvKStep * SignOrderStride;
        SignOrderedRows = Allocate<byte>(lists);
        SignOrderedValues = Allocate<float>(2 * lists);
        ExponentBytesChannelMajor = Allocate<sbyte>(padded);
    }

    private readonly bool _pooled;

    private T[] Allocate<T>(long length) => _pooled ? System.Buffers.ArrayPool<T>.Shared.Rent((int)length) : new T[length];

    /// <summary>Returns the rented arrays of a pooled head; the head must not be used afterwards.</summary>
    internal void ReturnToPool()
    {
        if (!_pooled) return;
        System.Buffers.ArrayPool<float>.Shared.Return(SmoothedKeys);
        System.Buffers.ArrayPool<sbyte>.Shared.Return(QuantizedKeys);
        System.Buffers.ArrayPool<sbyte>.Shared.Return(KeysInterleaved);
        System.Buffers.ArrayPool<int>.Shared.Return(KeySums);
        System.Buffers.ArrayPool<float>.Shared.Return(KeyScalePerToken);
        System.Buffers.ArrayPool<byte>.Shared.Return(ValueCodesTransposed);
        System.Buffers.ArrayPool<float>.Shared.Return(ValuesSplit);
        System.Buffers.ArrayPool<sbyte>.Shared.Return(ExponentBytesTokenMajor);
        System.Buffers.ArrayPool<byte>.Shared.Return(SignOrderedRows);
        System.Buffers.ArrayPool<float>.Shared.Return(SignOrderedValues);
        System.Buffers.ArrayPool<sbyte>.Shared.Return(ExponentBytesChannelMajor);
    }

    public int Length { get; }
    public int HeadDim { get; }
    public int Tiles { get; }
    public int PaddedLength { get; }

    /// <summary>Per-channel mean of K (all zero without K smoothing).</summary>
    public float[] KeyMean { get; }

    /// <summary>K̃ in fp32, token-major (K itself without smoothing).</summary>
    public float[] SmoothedKeys { get; }

    /// <summary>Quantised K̃, token-major, padded tokens 0.</summary>
    public sbyte[] QuantizedKeys { get; }

    /// <summary>The same integers as float (exact), per 128-token tile channel-major ([tile][c][128]), for QKᵀ.</summary>
    public float[] KeysTransposedAsSingle
    {
        get
        {
            // Only the float QKᵀ path (no AVX-VNNI) reads this: built from QuantizedKeys on first use.
            if (Volatile.Read(ref _keysTransposed) is { } built) return built;
            lock (_tokenMajorLock)
            {
                if (_keysTransposed is not null) return _keysTransposed;
                const int tileKeys = KernelTiling.KeyTileTokens;
                var keys = new float[(long)PaddedLength * HeadDim];
                for (int tile = 0; tile < Tiles; tile++)
                for (int j = 0; j < tileKeys; j++)
                for (int c = 0; c < HeadDim; c++)
                    keys[((long)tile * HeadDim + c) * tileKeys + j] = QuantizedKeys[((long)tile * tileKeys + j) * HeadDim + c];
                Volatile.Write(ref _keysTransposed, keys);
                return keys;
            }
        }
    }

    private float[]? _keysTransposed;

    /// <summary>
    /// The same integers per 128-token tile in the byte order of a 4-way integer dot product (vpdpbusd):
    /// [tile][c / 4][j][c mod 4].
    /// </summary>
    public sbyte[] KeysInterleaved { get; }

    /// <summary>Σ_c of each (padded) token's quantised K̃ (the correction for Q offset to unsigned bytes).</summary>
    public int[] KeySums { get; }

    /// <summary>K scales per group: [tile, group] flattened.</summary>
    public float[] KeyScales { get; internal set; } = [];

    /// <summary>Scale of each (padded) token's group.</summary>
    public float[] KeyScalePerToken { get; }

    /// <summary>Per-channel mean of V (all zero without V smoothing); the epilogue adds it back.</summary>
    public float[] ValueMean { get; }

    /// <summary>v_scale per channel (of Ṽ = V − mean with V smoothing).</summary>
    public float[] ValueScales { get; }

    /// <summary>V in E4M3 codes, channel-major (head dim × padded length), padding = +0.</summary>
    public byte[] ValueCodesTransposed { get; }

    /// <summary>
    /// Fills the arrays the tile kernel reads (<see cref="ValuesSplit"/>, <see cref="ExponentBytesTokenMajor"/>) from
    /// <see cref="ValueCodesTransposed"/>.
    /// </summary>
    internal void DeriveTokenMajorValues()
    {
        DeriveTileKernelArrays();
        DeriveSignOrder(0, PaddedLength);
    }

    private void DeriveTileKernelArrays()
    {
        var codes = new byte[(long)PaddedLength * HeadDim];
        for (int c = 0; c < HeadDim; c++)
        for (int t = 0; t < PaddedLength; t++)
            codes[(long)t * HeadDim + c] = ValueCodesTransposed[(long)c * PaddedLength + t];
        DeriveFromTokenMajor(codes);
        _tileKernelArraysReady = true;
    }

    private volatile bool _tileKernelArraysReady;

    /// <summary>
    /// Builds <see cref="ValuesSplit"/> and <see cref="ExponentBytesTokenMajor"/> (for <see cref="Mainloop.Fp8PvTileKernel"/>)
    /// on first use: the main loop normally runs <see cref="Mainloop.Fp8PvRowLaneKernel"/>, which does not read them, so the
    /// pre-processing no longer builds them for every head.
    /// </summary>
    internal void EnsureTileKernelArrays()
    {
        if (_tileKernelArraysReady) return;
        lock (_tokenMajorLock)
            if (!_tileKernelArraysReady) DeriveTileKernelArrays();
    }

    /// <summary>
    /// Stores the token-major V codes of tokens [start, start + count): <see cref="ValueCodesTransposed"/> and the arrays
    /// the row-lane kernel reads (the channel-lane kernel's are built on first use, <see cref="EnsureTileKernelArrays"/>).
    /// Disjoint ranges may be stored from different threads.
    /// </summary>
    internal void SetValueCodes(ReadOnlySpan<byte> codesTokenMajor, int start, int count)
    {
        // Transpose in blocks of 64 tokens so that the 64-byte destination lines of a channel stay in L1.
        for (int t0 = 0; t0 < count; t0 += 64)
        for (int c = 0; c < HeadDim; c++)
        for (int t = t0; t < t0 + 64 && t < count; t++)
            ValueCodesTransposed[(long)c * PaddedLength + start + t] = codesTokenMajor[t * HeadDim + c];
        if (codesTokenMajor.Slice(0, count * HeadDim).ContainsAny((byte)0x7F, (byte)0xFF))
            HasNaNValueCode = true; // only ever set: safe when tiles are stored concurrently
        DeriveSignOrder(start, count);
    }

    /// <summary>
    /// Fills <see cref="SignOrderedRows"/>, <see cref="SignOrderedValues"/> and <see cref="ExponentBytesChannelMajor"/> for
    /// tokens [start, start + count) (whole k-steps) from <see cref="ValueCodesTransposed"/>.
    /// </summary>
    private void DeriveSignOrder(int start, int count)
    {
        const int step = KernelTiling.PvKStep;
        if (start % step != 0 || count % step != 0)
            throw new ArgumentException($"start = {start}, count = {count}; expected whole k-steps of {step} tokens.", nameof(count));
        Span<float> decoded = stackalloc float[KernelTiling.KeyTileTokens];
        for (int c = 0; c < HeadDim; c++)
        for (int k = start; k < start + count; k += decoded.Length)
        {
            int n = Math.Min(decoded.Length, start + count - k);
            int at = (int)((long)c * PaddedLength + k);
            Mainloop.Fp8PvTileKernel.Decode(ValueCodesTransposed.AsSpan(at, n), decoded, ExponentBytesChannelMajor.AsSpan(at, n));
        }
        if (HeadDim % 2 != 0) return; // the row-lane kernel takes channels in pairs
        for (int c = 0; c < HeadDim; c += 2)
        for (int k = start; k < start + count; k += step)
            DeriveSequence(c, k);
    }

    /// <summary>
    /// The multiply-add sequence of channels c, c + 1 for the k-step at token k: the tokens by the signs of their two V
    /// codes (sign bit clear/set: A = (+, +), B = (+, −), D = (−, −), C = (−, +), each in token order), with the pseudo
    /// entries of <see cref="Mainloop.Fp8PvRowLaneKernel"/> between the classes:
    /// A, c + 1 to its negative binade (its A₀ × −3), B, c to its negative binade, D, c + 1 back
    /// (its A₀ × +3), C. So c sees its positive terms, then its negative ones; c + 1 positive, negative, positive.
    /// </summary>
    private void DeriveSequence(int c, int k)
    {
        const int step = KernelTiling.PvKStep;
        var first = ValueCodesTransposed.AsSpan((int)((long)c * PaddedLength + k), step);
        var second = ValueCodesTransposed.AsSpan((int)((long)(c + 1) * PaddedLength + k), step);
        long list = ((long)c / 2 * PaddedLength + k) / step * SignOrderStride;
        // Sign bits of the two channels' codes as 32-bit masks; each class is walked bit by bit, in token order.
        uint s0 = System.Runtime.Intrinsics.Vector256.Create(first).ExtractMostSignificantBits();
        uint s1 = System.Runtime.Intrinsics.Vector256.Create(second).ExtractMostSignificantBits();
        int n = 0;
        n = AddClass(first, second, ~s0 & ~s1, list, n);
        n = AddEntry(list, n, Mainloop.Fp8PvRowLaneKernel.SecondPinRow, 0f, -3f);
        n = AddClass(first, second, ~s0 & s1, list, n);
        n = AddEntry(list, n, Mainloop.Fp8PvRowLaneKernel.FirstPinRow, -3f, 0f);
        n = AddClass(first, second, s0 & s1, list, n);
        n = AddEntry(list, n, Mainloop.Fp8PvRowLaneKernel.SecondPinRow, 0f, 3f);
        AddClass(first, second, s0 & ~s1, list, n);
    }

    private int AddClass(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, uint tokens, long list, int n)
    {
        var values = Mainloop.Fp8PvFastPath.Values;
        for (; tokens != 0; tokens &= tokens - 1)
        {
            int t = System.Numerics.BitOperations.TrailingZeroCount(tokens);
            n = AddEntry(list, n, t, values[first[t]], values[second[t]]);
        }
        return n;
    }

    private int AddEntry(long list, int n, int row, float v0, float v1)
    {
        SignOrderedRows[list + n] = (byte)row;
        SignOrderedValues[2 * (list + n)] = v0;
        SignOrderedValues[2 * (list + n) + 1] = v1;
        return n + 1;
    }

    /// <summary>Entries per channel pair and k-step in <see cref="SignOrderedRows"/>: 32 tokens and 3 pseudo entries.</summary>
    public const int SignOrderStride = KernelTiling.PvKStep + 3;

    /// <summary>
    /// The multiply-add sequence of <see cref="Mainloop.Fp8PvRowLaneKernel"/> per channel pair (c, c + 1), c even, and k-step
    /// j, at ((c / 2)·padded length / 32 + j)·35: rows of the kernel's per-k-step P block (see <see cref="DeriveSequence"/>).
    /// </summary>
    public byte[] SignOrderedRows { get; }

    /// <summary>The two multipliers (channel c's, then c + 1's) of each entry of <see cref="SignOrderedRows"/>: V's fp32
    /// values for tokens, 0 or ±3 for the pseudo entries.</summary>
    public float[] SignOrderedValues { get; }

    /// <summary>Alignment exponent bytes of V (<see cref="Mainloop.Fp8PvTileKernel.ExponentBytes"/>), channel-major (head dim × padded length).</summary>
    public sbyte[] ExponentBytesChannelMajor { get; }

    private void DeriveFromTokenMajor(ReadOnlySpan<byte> codes, int at = 0)
    {
        int d = HeadDim, tokens = codes.Length / d, token0 = at / d;
        var decoded = System.Buffers.ArrayPool<float>.Shared.Rent(codes.Length);
        Mainloop.Fp8PvTileKernel.Decode(codes, decoded.AsSpan(0, codes.Length), ExponentBytesTokenMajor.AsSpan(at, codes.Length));
        for (int b = 0; b < d / SplitBlock; b++)
        for (int t = 0; t < tokens; t++)
        {
            var source = decoded.AsSpan(t * d + b * SplitBlock, SplitBlock);
            var target = ValuesSplit.AsSpan((int)(((long)b * PaddedLength + token0 + t) * 2 * SplitBlock), 2 * SplitBlock);
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
                for (; i < SplitBlock; i += 16)
                {
                    // value > 0 ? value : +0 and value < 0 ? value : +0 (NaN and ±0 give +0 in both), as the scalar loop.
                    var v = Vector512.Create(source.Slice(i, 16));
                    Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero), v, Vector512<float>.Zero).CopyTo(target.Slice(i, 16));
                    Vector512.ConditionalSelect(Vector512.LessThan(v, Vector512<float>.Zero), v, Vector512<float>.Zero).CopyTo(target.Slice(SplitBlock + i, 16));
                }
            for (; i < SplitBlock; i++)
            {
                float value = source[i];
                target[i] = value > 0f ? value : 0f;
                target[SplitBlock + i] = value < 0f ? value : 0f;
            }
        }
        System.Buffers.ArrayPool<float>.Shared.Return(decoded);
        bool nan = false;
        foreach (byte code in codes) nan |= (code & 0x7F) == 0x7F;
        if (nan) HasNaNValueCode = true; // only ever set: safe when tiles are stored concurrently
    }

    /// <summary>Channels per block of <see cref="ValuesSplit"/>.</summary>
    public const int SplitBlock = 32;

    /// <summary>
    /// V in fp32 split by sign, for <see cref="Mainloop.Fp8PvTileKernel"/>: per block of 32 channels b and token t,
    /// 64 consecutive floats at ((b·padded length + t)·64): max(V, 0) of the 32 channels, then min(V, 0). A chain over
    /// a channel block then reads one contiguous stretch (no L1 set conflicts between tokens d floats apart).
    /// </summary>
    public float[] ValuesSplit { get; }

    /// <summary>Alignment exponents of V's codes as bytes, token-major (see <see cref="Mainloop.Fp8PvTileKernel.ExponentBytes"/>).</summary>
    public sbyte[] ExponentBytesTokenMajor { get; }

    /// <summary>True when some V code is an E4M3 NaN (the tile kernel then leaves the head to the model).</summary>
    public bool HasNaNValueCode { get; private set; }

    private float[]? _valuesTokenMajor;
    private int[]? _exponentsTokenMajor;
    private readonly Lock _tokenMajorLock = new();

    /// <summary>The E4M3 values of V as fp32, token-major (for the per-row <see cref="Mainloop.Fp8PvFastPath"/>; built on first use).</summary>
    public float[] ValuesTokenMajor
    {
        get { EnsureRowPathArrays(); return _valuesTokenMajor!; }
    }

    /// <summary>The alignment exponents of V's codes, token-major (see <see cref="Mainloop.Fp8PvFastPath.Exponents"/>; built on first use).</summary>
    public int[] ExponentsTokenMajor
    {
        get { EnsureRowPathArrays(); return _exponentsTokenMajor!; }
    }

    // Only the per-row PV path (no AVX-512, or tests) reads these; the tile kernel does not, so they are not built up front.
    private void EnsureRowPathArrays()
    {
        if (Volatile.Read(ref _exponentsTokenMajor) is not null) return;
        lock (_tokenMajorLock)
        {
            if (_exponentsTokenMajor is not null) return;
            var values = new float[(long)PaddedLength * HeadDim];
            var exponents = new int[(long)PaddedLength * HeadDim];
            for (int t = 0; t < PaddedLength; t++)
            for (int c = 0; c < HeadDim; c++)
            {
                byte code = ValueCodesTransposed[(long)c * PaddedLength + t];
                values[(long)t * HeadDim + c] = Mainloop.Fp8PvFastPath.Values[code];
                exponents[(long)t * HeadDim + c] = Mainloop.Fp8PvFastPath.Exponents[code];
            }
            _valuesTokenMajor = values;
            Volatile.Write(ref _exponentsTokenMajor, exponents);
        }
    }
}
