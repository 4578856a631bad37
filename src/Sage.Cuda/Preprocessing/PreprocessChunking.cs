namespace Sage.Cuda.Preprocessing;

/// <summary>
/// Splits the fused pre-processing into chunks of key/value heads whose K and V fit in L2 together, so that the
/// second read of K and V (launch 3, the codes) hits L2 instead of DRAM: one pass over K and V from DRAM instead of two.
/// Each chunk costs three launches, and launch 1 of a chunk is latency-bound (each statistics thread walks a whole
/// 128-token tile), so chunking only pays where few chunks suffice; past <see cref="MaxChunks"/> the problem runs as one
/// chunk.
/// </summary>
public static class PreprocessChunking
{
    /// <summary>The most chunks a call is split into; a problem that would need more runs unchunked.</summary>
    public const int MaxChunks = 8;

    /// <summary>
    /// Environment variable for <see cref="GpuPreprocessor.ChunkBytes"/>: K and V input bytes per chunk in MiB
    /// (0: never chunk). Unset or empty: <see cref="DefaultChunkBytes"/>.
    /// </summary>
    public const string EnvironmentVariable = "SAGE_PREPROCESS_CHUNK_MB";

    /// <summary>K and V input bytes per chunk when nothing else is asked for (0: never chunk).</summary>
    public const long DefaultChunkBytes = 0;

    /// <summary>Reads <see cref="EnvironmentVariable"/>: null or empty → <see cref="DefaultChunkBytes"/>, else a whole number of MiB ≥ 0.</summary>
    public static long SelectedChunkBytes(string? value)
    {
        if (string.IsNullOrEmpty(value)) return DefaultChunkBytes;
        if (!long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long mib)
            || mib > long.MaxValue / (1L << 20))
            throw new ArgumentException($"{EnvironmentVariable}={value}: expected a whole number of MiB (0: no chunks).");
        return mib << 20;
    }

    /// <summary>
    /// The chunks of <paramref name="keyValueHeads"/> flattened (batch, key/value head) pairs, each of
    /// <paramref name="bytesPerHead"/> K and V input bytes, for at most <paramref name="chunkBytes"/> per chunk: equal
    /// chunks but for a shorter last one. One chunk when <paramref name="chunkBytes"/> is 0, when everything fits in one,
    /// or when more than <see cref="MaxChunks"/> would be needed.
    /// </summary>
    public static IReadOnlyList<(long FirstHead, long Heads)> Plan(long keyValueHeads, long bytesPerHead, long chunkBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keyValueHeads);
        ArgumentOutOfRangeException.ThrowIfNegative(bytesPerHead);
        ArgumentOutOfRangeException.ThrowIfNegative(chunkBytes);
        if (chunkBytes == 0 || bytesPerHead == 0 || keyValueHeads <= 1) return [(0, keyValueHeads)];
        long headsPerChunk = Math.Max(1, chunkBytes / bytesPerHead);
        long chunks = (keyValueHeads + headsPerChunk - 1) / headsPerChunk;
        if (chunks <= 1 || chunks > MaxChunks) return [(0, keyValueHeads)];
        // Spread the heads evenly over that many chunks (no tiny last chunk).
        headsPerChunk = (keyValueHeads + chunks - 1) / chunks;
        var plan = new List<(long, long)>((int)chunks);
        for (long first = 0; first < keyValueHeads; first += headsPerChunk)
            plan.Add((first, Math.Min(headsPerChunk, keyValueHeads - first)));
        return plan;
    }
}
