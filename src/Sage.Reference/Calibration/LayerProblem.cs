namespace Sage.Reference.Calibration;

/// <summary>
/// Builds a layer's <see cref="AttentionProblem"/> from the shapes of its Q, K and V, checking that they agree.
/// Errors name the file of the tensor at fault (given by a lookup): the set's file, or one .npy of a folder.
/// </summary>
internal static class LayerProblem
{
    public static AttentionProblem Build(Func<TensorInfo, string> fileOf, TensorInfo q, TensorInfo k, TensorInfo v, TensorLayout layout, bool causal)
    {
        string axes = layout == TensorLayout.HND ? "[batch, heads, tokens, head_dim]" : "[batch, tokens, heads, head_dim]";
        foreach (var t in new[] { q, k, v })
        {
            if (t.Shape.Count != 4)
                throw new CalibrationFormatException(fileOf(t), t.Name,
                    $"shape {TensorGeometry.Format(t.Shape)} has {t.Shape.Count} dimensions; {layout} calibration tensors are {axes}");
        }
        if (!k.Shape.SequenceEqual(v.Shape))
            throw new CalibrationFormatException(fileOf(v), v.Name,
                $"shape {TensorGeometry.Format(v.Shape)} differs from {k.Name}'s {TensorGeometry.Format(k.Shape)}; K and V must match");
        int headAxis = layout == TensorLayout.HND ? 1 : 2, tokenAxis = 3 - headAxis;
        int batch = q.Shape[0], queryHeads = q.Shape[headAxis], queryLength = q.Shape[tokenAxis], headDim = q.Shape[3];
        int keyHeads = k.Shape[headAxis], keyLength = k.Shape[tokenAxis];
        if (k.Shape[0] != batch)
            throw new CalibrationFormatException(fileOf(k), k.Name, $"batch {k.Shape[0]} differs from {q.Name}'s batch {batch}");
        if (k.Shape[3] != headDim)
            throw new CalibrationFormatException(fileOf(k), k.Name, $"head_dim {k.Shape[3]} differs from {q.Name}'s head_dim {headDim}");
        if (batch < 1 || queryHeads < 1 || headDim < 1)
            throw new CalibrationFormatException(fileOf(q), q.Name,
                $"shape {TensorGeometry.Format(q.Shape)} ({layout}) needs at least one batch entry, head and head_dim element");
        if (keyHeads < 1 || queryHeads % keyHeads != 0)
            throw new CalibrationFormatException(fileOf(k), k.Name,
                $"{keyHeads} key/value heads do not divide {q.Name}'s {queryHeads} query heads (grouped-query attention needs a divisor)");
        try
        {
            return new AttentionProblem(new AttentionShape(batch, queryHeads, keyHeads, queryLength, keyLength, headDim), layout, causal);
        }
        catch (ArgumentException e)
        {
            throw new CalibrationFormatException(fileOf(q), q.Name, e.Message, e);
        }
    }
}
