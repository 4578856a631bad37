namespace Sage.Emulation.Preprocessing;

/// <summary>The pre-processing kernels for one (batch, key/value head): KSmoothing, K quantisation, VSmoothing, VQuantization.</summary>
internal static class KeyValuePreprocessing
{
    public static PreparedKeyValueHead Prepare(float[] k, float[] v, TokenAddressing addressing, int batch, int head,
        SageOptions options)
    {
        int n = addressing.Tokens, d = addressing.HeadDim;
        var prepared = new PreparedKeyValueHead(n, d);
        var keys = prepared.SmoothedKeys;
        var values = System.Buffers.ArrayPool<float>.Shared.Rent(n * d); // a temporary: pooled, not faulted in anew each call
        for (int t = 0; t < n; t++)
        {
            long at = addressing.Offset(batch, head, t);
            Array.Copy(k, at, keys, (long)t * d, d);
            Array.Copy(v, at, values, (long)t * d, d);
        }
        if (options.SmoothK)
        {
            KSmoothing.ChannelMean(keys, n, d, prepared.KeyMean);
            KSmoothing.Subtract(keys, n, d, prepared.KeyMean);
        }

        var granularity = options.Granularity;
        int groupsPerTile = QuantGroups.KeyGroupsPerTile(granularity);
        prepared.KeyScales = new float[prepared.Tiles * groupsPerTile];
        var padded = new float[KernelTiling.KeyTileTokens * d];
        for (int tile = 0; tile < prepared.Tiles; tile++)
        {
            int start = tile * KernelTiling.KeyTileTokens;
            int real = Math.Min(KernelTiling.KeyTileTokens, n - start);
            Array.Clear(padded);
            Array.Copy(keys, (long)start * d, padded, 0, (long)real * d);
            var scales = prepared.KeyScales.AsSpan(tile * groupsPerTile, groupsPerTile);
            var quantized = prepared.QuantizedKeys.AsSpan(start * d, KernelTiling.KeyTileTokens * d);
            QkQuantization.Quantize(options.QkFormat, padded, KernelTiling.KeyTileTokens, d,
                token => QuantGroups.KeyGroup(granularity, token), scales, quantized);
            for (int j = 0; j < KernelTiling.KeyTileTokens; j++)
                prepared.KeyScalePerToken[start + j] = scales[QuantGroups.KeyGroup(granularity, j)];
        }
        const int tileKeys = KernelTiling.KeyTileTokens;
        for (int tile = 0; tile < prepared.Tiles; tile++)
        for (int j = 0; j < tileKeys; j++)
        {
            int sum = 0;
            for (int c = 0; c < d; c++)
            {
                sbyte key = prepared.QuantizedKeys[((long)tile * tileKeys + j) * d + c];
                prepared.KeysInterleaved[(long)tile * tileKeys * d + (c >> 2) * tileKeys * 4 + j * 4 + (c & 3)] = key;
                sum += key;
            }
            prepared.KeySums[tile * tileKeys + j] = sum;
        }

        if (options.SmoothV)
        {
            VSmoothing.ChannelMean(values, n, d, prepared.ValueMean);
            VSmoothing.Subtract(values, n, d, prepared.ValueMean);
        }
        var codes = System.Buffers.ArrayPool<byte>.Shared.Rent(prepared.PaddedLength * d);
        VQuantization.QuantizeTokenMajor(values.AsSpan(0, n * d), n, d, prepared.PaddedLength, KernelConstants.VMax(options.PvAccumulation),
            prepared.ValueScales, codes);
        prepared.SetValueCodes(codes.AsSpan(0, prepared.PaddedLength * d));
        System.Buffers.ArrayPool<byte>.Shared.Return(codes);
        System.Buffers.ArrayPool<float>.Shared.Return(values);
        return prepared;
    }
}
