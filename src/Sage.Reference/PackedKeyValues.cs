namespace Sage.Reference;

/// <summary>
/// One (batch, KV head)'s keys and values widened to float64 and laid out for the tile kernels: keys in panels of
/// <see cref="KeyBlock"/> keys stored channel-major ([panel][channel][key in panel]), so that the score kernel reads
/// one contiguous vector of keys per channel; values row-major with each row padded to <see cref="PaddedChannels"/>.
/// </summary>
/// <remarks>
/// Padding (keys past <see cref="KeyLength"/>, channels past <see cref="HeadDim"/>) is zero and never written, so one
/// instance is reused for every head of a call. Padded keys give scores that no row reads; padded channels give
/// outputs that are never scattered: neither can leak into a result, even through a NaN.
/// </remarks>
internal sealed class PackedKeyValues
{
    /// <summary>Keys per panel: four Vector512 or eight Vector256 of doubles.</summary>
    public const int KeyBlock = 32;

    /// <summary>Value rows are padded to a multiple of this many channels (one Vector512 of doubles).</summary>
    public const int ChannelStep = 8;

    public PackedKeyValues(int keyLength, int headDim)
    {
        KeyLength = keyLength;
        HeadDim = headDim;
        PaddedKeys = RoundUp(keyLength, KeyBlock);
        PaddedChannels = RoundUp(headDim, ChannelStep);
        KeyPanels = new double[checked(PaddedKeys * headDim)];
        Values = new double[checked(keyLength * PaddedChannels)];
    }

    public int KeyLength { get; }
    public int HeadDim { get; }
    public int PaddedKeys { get; }
    public int PaddedChannels { get; }

    /// <summary>[PaddedKeys / KeyBlock][HeadDim][KeyBlock].</summary>
    public double[] KeyPanels { get; }

    /// <summary>[KeyLength][PaddedChannels].</summary>
    public double[] Values { get; }

    /// <summary>
    /// Widens (exactly) and lays out the keys and values of head <paramref name="head"/> of batch <paramref name="batch"/>,
    /// one panel of tokens per parallel item (packing is memory-bound; one thread would leave the other cores idle).
    /// </summary>
    public void Pack(float[] k, float[] v, HeadAddressing addressing, int batch, int head, ParallelOptions parallel) =>
        Parallel.For(0, PaddedKeys / KeyBlock, parallel, panel =>
            Pack(k, v, addressing, batch, head, panel * KeyBlock, Math.Min(KeyLength, (panel + 1) * KeyBlock)));

    private void Pack(float[] k, float[] v, HeadAddressing addressing, int batch, int head, int from, int to)
    {
        long start = addressing.Start(batch, head), stride = addressing.TokenStride;
        int d = HeadDim;
        for (int t = from; t < to; t++)
        {
            int at = checked((int)(start + t * stride));
            var key = k.AsSpan(at, d);
            var panel = KeyPanels.AsSpan(t / KeyBlock * d * KeyBlock + t % KeyBlock);
            for (int c = 0; c < d; c++) panel[c * KeyBlock] = key[c]; // float → double is exact
            var value = v.AsSpan(at, d);
            var row = Values.AsSpan(t * PaddedChannels, d);
            for (int c = 0; c < d; c++) row[c] = value[c];
        }
    }

    private static int RoundUp(int value, int step) => checked((value + step - 1) / step * step);
}
