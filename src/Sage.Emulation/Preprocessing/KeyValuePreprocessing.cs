using System.Buffers;

namespace Sage.Emulation.Preprocessing;

/// <summary>
/// The pre-processing kernels for one (batch, key/value head): KSmoothing, K quantisation, VSmoothing, VQuantization.
/// In two phases so that a run can spread the work over many cores: <see cref="Begin"/> (per head: the sequence-wide
/// channel means and V scales, whose summation order is specified) and <see cref="PrepareTile"/> (per 128-token
/// tile: everything else, independent across tiles). <see cref="Prepare"/> does both for one head.
/// </summary>
internal static class KeyValuePreprocessing
{
    /// <summary>Per-head state between the phases: the smoothed V rows (a pooled temporary) and the options.</summary>
    internal sealed class Pending(PreparedKeyValueHead head, float[] values, SageOptions options)
    {
        public PreparedKeyValueHead Head { get; } = head;
        public float[] Values { get; } = values;
        public SageOptions Options { get; } = options;

        /// <summary>Returns the pooled temporary; the head is complete once every tile has been prepared.</summary>
        public void Release() => ArrayPool<float>.Shared.Return(Values);
    }

    public static PreparedKeyValueHead Prepare(float[] k, float[] v, TokenAddressing addressing, int batch, int head,
        SageOptions options)
    {
        var pending = Begin(k, v, addressing, batch, head, options, pooled: false);
        for (int tile = 0; tile < pending.Head.Tiles; tile++) PrepareTile(pending, tile);
        pending.Release();
        return pending.Head;
    }

    /// <summary>
    /// Copies the head's K and V, subtracts the channel means (when asked) and computes the V scales. A
    /// <paramref name="pooled"/> head's arrays are rented (<see cref="PreparedKeyValueHead.ReturnToPool"/>).
    /// </summary>
    public static Pending Begin(float[] k, float[] v, TokenAddressing addressing, int batch, int head, SageOptions options,
        bool pooled)
    {
        int n = addressing.Tokens, d = addressing.HeadDim;
        var prepared = new PreparedKeyValueHead(n, d, pooled);
        var keys = prepared.SmoothedKeys;
        var values = ArrayPool<float>.Shared.Rent(n * d); // a temporary: pooled, not faulted in anew each call
        for (int t = 0; t < n; t++)
        {
            long at = addressing.Offset(batch, head, t);
            Array.Copy(k, at, keys, (long)t * d, d);
            Array.Copy(v, at, values, (long)t * d, d);
        }
        if (options.SmoothK)
        {
            KSmoothing.KeyMean(keys, n, d, options.KeyMeanTokens, prepared.KeyMean);
            KSmoothing.Subtract(keys, n, d, prepared.KeyMean);
        }
        prepared.KeyScales = new float[prepared.Tiles * QuantGroups.KeyGroupsPerTile(options.Granularity)];
        if (options.SmoothV)
        {
            VSmoothing.ChannelMean(values, n, d, prepared.ValueMean);
            VSmoothing.Subtract(values, n, d, prepared.ValueMean);
        }
        VQuantization.ChannelScales(values.AsSpan(0, n * d), n, d, KernelConstants.VMax(options.PvAccumulation), prepared.ValueScales);
        return new Pending(prepared, values, options);
    }

    /// <summary>K quantisation, the QKᵀ layouts, V codes and the PV kernel's V arrays for one 128-token tile.</summary>
    public static void PrepareTile(Pending pending, int tile)
    {
        var prepared = pending.Head;
        var options = pending.Options;
        int n = prepared.Length, d = prepared.HeadDim;
        const int tileKeys = KernelTiling.KeyTileTokens;
        var granularity = options.Granularity;
        int groupsPerTile = QuantGroups.KeyGroupsPerTile(granularity);
        int start = tile * tileKeys;
        int real = Math.Min(tileKeys, n - start);

        var padded = ArrayPool<float>.Shared.Rent(tileKeys * d);
        Array.Clear(padded, 0, tileKeys * d);
        Array.Copy(prepared.SmoothedKeys, (long)start * d, padded, 0, (long)real * d);
        var scales = prepared.KeyScales.AsSpan(tile * groupsPerTile, groupsPerTile);
        var quantized = prepared.QuantizedKeys.AsSpan(start * d, tileKeys * d);
        QkQuantization.Quantize(options.QkFormat, padded.AsSpan(0, tileKeys * d), tileKeys, d,
            token => QuantGroups.KeyGroup(granularity, token), scales, quantized);
        ArrayPool<float>.Shared.Return(padded);
        for (int j = 0; j < tileKeys; j++)
        {
            prepared.KeyScalePerToken[start + j] = scales[QuantGroups.KeyGroup(granularity, j)];
            int sum = 0;
            for (int c = 0; c < d; c++)
            {
                sbyte key = quantized[j * d + c];
                prepared.KeysInterleaved[(long)tile * tileKeys * d + (c >> 2) * tileKeys * 4 + j * 4 + (c & 3)] = key;
                sum += key;
            }
            prepared.KeySums[start + j] = sum;
        }

        var codes = ArrayPool<byte>.Shared.Rent(tileKeys * d);
        var tileCodes = codes.AsSpan(0, tileKeys * d);
        tileCodes.Slice(real * d).Clear(); // padding tokens: +0
        VQuantization.EncodeTokens(pending.Values.AsSpan(start * d, real * d), real, d, prepared.ValueScales, tileCodes);
        prepared.SetValueCodes(tileCodes, start, tileKeys);
        ArrayPool<byte>.Shared.Return(codes);
    }
}
