using System.Numerics.Tensors;

namespace Sage.Reference;

/// <summary>One exact attention call: the inputs widened to float32 arrays, the float64 outputs, and the per-head work.</summary>
internal sealed class ExactPass(AttentionProblem problem, float[] q, float[] k, float[] v)
{
    private readonly AttentionShape _shape = problem.Shape;
    private readonly HeadAddressing _queries = new(problem.Layout, problem.Shape.QueryHeads, problem.Shape.QueryLength, problem.Shape.HeadDim);
    private readonly HeadAddressing _keyValues = new(problem.Layout, problem.Shape.KeyValueHeads, problem.Shape.KeyLength, problem.Shape.HeadDim);

    /// <summary>Output in Q's layout; rows that see no key keep their zeros.</summary>
    public double[] Output { get; } = new double[q.Length];

    public double[] Lse { get; } = new double[(long)problem.Shape.Batch * problem.Shape.QueryHeads * problem.Shape.QueryLength];

    /// <summary>All rows of query head <paramref name="index"/> = batch · QueryHeads + head, tile by tile.</summary>
    public HeadWorkspace RunHead(int index, HeadWorkspace work)
    {
        int batch = index / _shape.QueryHeads, head = index % _shape.QueryHeads;
        int kvHead = head / _shape.GroupSize; // grouped-query attention
        _keyValues.Gather(k, batch, kvHead, work.Keys);
        _keyValues.Gather(v, batch, kvHead, work.Values);
        for (int tileStart = 0; tileStart < _shape.QueryLength; tileStart += QueryTile.Rows)
            RunTile(batch, head, tileStart, Math.Min(QueryTile.Rows, _shape.QueryLength - tileStart), work);
        return work;
    }

    private void RunTile(int batch, int head, int tileStart, int rows, HeadWorkspace work)
    {
        int d = _shape.HeadDim, nk = _shape.KeyLength;
        var visible = work.Visible.AsSpan(0, rows);
        long queryStart = _queries.Start(batch, head);
        for (int r = 0; r < rows; r++)
        {
            visible[r] = Math.Max(0, problem.LastVisibleKey(tileStart + r) + 1);
            var query = q.AsSpan(checked((int)(queryStart + (tileStart + r) * _queries.TokenStride)), d);
            TensorPrimitives.ConvertChecked<float, double>(query, work.Queries.AsSpan(r * d, d));
        }

        QueryTile.ScaledScores(work.Queries, d, visible, work.Keys, problem.SoftmaxScale, work.Scores, nk);
        long lseStart = ((long)batch * _shape.QueryHeads + head) * _shape.QueryLength + tileStart;
        for (int r = 0; r < rows; r++)
        {
            if (visible[r] == 0)
            {
                Lse[lseStart + r] = double.NegativeInfinity; // log of an empty sum
                continue;
            }
            (work.Sums[r], Lse[lseStart + r]) = RowAttention.ExponentiateShifted(work.Scores.AsSpan(r * nk, visible[r]));
        }
        QueryTile.WeightedValues(work.Scores, nk, visible, work.Sums, work.Values, work.Outputs, d);

        for (int r = 0; r < rows; r++)
            if (visible[r] > 0)
                _queries.Scatter(work.Outputs.AsSpan(r * d, d), batch, head, tileStart + r, Output);
    }
}
