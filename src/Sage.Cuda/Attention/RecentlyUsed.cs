namespace Sage.Cuda;

/// <summary>
/// A map of at most <see cref="Capacity"/> entries that drops the least recently used one (a read or an add uses it)
/// when a new key arrives at capacity. Not thread-safe.
/// </summary>
internal sealed class RecentlyUsed<TKey, TValue>(int capacity) where TKey : notnull
{
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value)>> index = [];
    private readonly LinkedList<(TKey Key, TValue Value)> order = []; // most recent first

    public int Capacity { get; } = capacity >= 1 ? capacity
        : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "a capacity of at least 1");

    public int Count => index.Count;

    /// <summary>The values, most recently used first.</summary>
    public IEnumerable<TValue> Values => order.Select(e => e.Value);

    public bool TryGet(TKey key, out TValue? value)
    {
        if (!index.TryGetValue(key, out var node))
        {
            value = default;
            return false;
        }
        order.Remove(node);
        order.AddFirst(node);
        value = node.Value.Value;
        return true;
    }

    /// <summary>
    /// Adds or replaces the entry of <paramref name="key"/> as the most recent. Returns the value it pushed out: the
    /// replaced one, or the least recently used entry's when a new key arrived at capacity; otherwise default.
    /// </summary>
    public TValue? Add(TKey key, TValue value)
    {
        TValue? removed = default;
        if (index.TryGetValue(key, out var existing))
        {
            removed = existing.Value.Value;
            order.Remove(existing);
        }
        else if (index.Count == Capacity)
        {
            var last = order.Last!;
            removed = last.Value.Value;
            order.RemoveLast();
            index.Remove(last.Value.Key);
        }
        index[key] = order.AddFirst((key, value));
        return removed;
    }

    public bool Remove(TKey key)
    {
        if (!index.Remove(key, out var node)) return false;
        order.Remove(node);
        return true;
    }

    public void Clear()
    {
        index.Clear();
        order.Clear();
    }
}
