namespace Sage.Cuda;

/// <summary>
/// Which calls replay a captured graph (<see cref="CudaAttention.GraphReplay"/>). A call whose key was seen among the
/// last <c>seenCapacity</c> keys is captured once and replayed from then on; a first sighting runs directly, so
/// a caller whose buffers change on every call never pays for a capture. At most <c>graphCapacity</c> graphs are
/// kept, the least recently used one is disposed to make room. A key whose capture failed is refused for good (it runs
/// directly). Not thread-safe: the caller holds a lock around each step and each launch of a graph it returns.
/// </summary>
internal sealed class RepeatedCallGraphs<TKey, TGraph>(int graphCapacity, int seenCapacity) : IDisposable
    where TKey : notnull
    where TGraph : class, IDisposable
{
    private readonly RecentlyUsed<TKey, TGraph> graphs = new(CheckCapacity(graphCapacity, nameof(graphCapacity)));
    private readonly RecentlyUsed<TKey, bool> seen = new(CheckCapacity(seenCapacity, nameof(seenCapacity)));
    private readonly HashSet<TKey> refused = [];

    /// <summary>Graphs held now.</summary>
    public int Count => graphs.Count;

    /// <summary>The graphs held, most recently used first.</summary>
    public IEnumerable<TGraph> Graphs => graphs.Values;

    /// <summary>What to do with a call of <paramref name="key"/>; <paramref name="graph"/> is set for <see cref="GraphStep.Replay"/>.</summary>
    public GraphStep Next(TKey key, out TGraph? graph)
    {
        if (graphs.TryGet(key, out graph)) return GraphStep.Replay;
        if (refused.Contains(key)) return GraphStep.Direct;
        if (seen.TryGet(key, out _))
        {
            seen.Remove(key);
            return GraphStep.Capture;
        }
        seen.Add(key, true);
        return GraphStep.Direct;
    }

    /// <summary>Keeps the graph captured for <paramref name="key"/>, disposing the least recently used one when full.</summary>
    public void Add(TKey key, TGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        graphs.Add(key, graph)?.Dispose();
    }

    /// <summary>The capture of <paramref name="key"/> failed: its calls run directly from now on.</summary>
    public void Refuse(TKey key)
    {
        // Bounded like the rest: a caller that refuses many keys forgets the oldest reasons and may try them once more.
        if (refused.Count >= seen.Capacity) refused.Clear();
        refused.Add(key);
    }

    /// <summary>Disposes every graph and forgets every key.</summary>
    public void Clear()
    {
        foreach (var g in graphs.Values) g.Dispose();
        graphs.Clear();
        seen.Clear();
        refused.Clear();
    }

    public void Dispose() => Clear();

    private static int CheckCapacity(int capacity, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1, name);
        return capacity;
    }
}

/// <summary>A call's way through <see cref="RepeatedCallGraphs{TKey, TGraph}"/>.</summary>
internal enum GraphStep
{
    /// <summary>Queue the call's launches directly (first sighting, or refused).</summary>
    Direct,
    /// <summary>Seen before: capture the call, keep the graph, launch it.</summary>
    Capture,
    /// <summary>A graph of this call is kept: launch it.</summary>
    Replay,
}
