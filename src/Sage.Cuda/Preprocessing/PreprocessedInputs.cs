namespace Sage.Cuda.Preprocessing;

/// <summary>Everything the attention main loop reads: quantised Q, K, V and their scales.</summary>
public sealed class PreprocessedInputs(QuantizedQueries queries, QuantizedKeys keys, QuantizedValues values) : IDisposable
{
    public QuantizedQueries Queries { get; } = queries;
    public QuantizedKeys Keys { get; } = keys;
    public QuantizedValues Values { get; } = values;

    public void Dispose()
    {
        Queries.Dispose();
        Keys.Dispose();
        Values.Dispose();
    }
}
