using System.Collections.Concurrent;
using System.Numerics.Tensors;

namespace Sage.Reference;

/// <summary>One exact attention call: the inputs as float32 arrays, the float64 outputs, and the tiled work.</summary>
/// <remarks>
/// (batch, KV head) pairs run one after another: each is packed once (<see cref="PackedKeyValues"/>, shared by the
/// group's query heads and kept in cache while they run), then the tiles of <see cref="TileWorkspace.Rows"/> query
/// rows of its query heads run in parallel. Workspaces are made once per worker and call.
/// </remarks>
internal sealed class ExactPass(AttentionProblem problem, float[] q, float[] k, float[] v, int maxDegreeOfParallelism)
{
    private readonly AttentionShape _shape = problem.Shape;
    private readonly HeadAddressing _queries = new(problem.Layout, problem.Shape.QueryHeads, problem.Shape.QueryLength, problem.Shape.HeadDim);
    private readonly HeadAddressing _keyValues = new(problem.Layout, problem.Shape.KeyValueHeads, problem.Shape.KeyLength, problem.Shape.HeadDim);

    /// <summary>Output in Q's layout; rows that see no key keep their zeros.</summary>
    public double[] Output { get; } = new double[q.Length];

    public double[] Lse { get; } = new double[(long)problem.Shape.Batch * problem.Shape.QueryHeads * problem.Shape.QueryLength];

    public void Run()
    {
        var s = _shape;
        if (s.QueryLength == 0) return;
        var packed = new PackedKeyValues(s.KeyLength, s.HeadDim);
        var pool = new ConcurrentBag<TileWorkspace>();
        int tiles = (s.QueryLength + TileWorkspace.Rows - 1) / TileWorkspace.Rows;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism };
        for (int batch = 0; batch < s.Batch; batch++)
            for (int kvHead = 0; kvHead < s.KeyValueHeads; kvHead++)
            {
                packed.Pack(k, v, _keyValues, batch, kvHead, parallel);
                int firstHead = kvHead * s.GroupSize, b = batch;
                Parallel.For(0, s.GroupSize * tiles, parallel,
                    () => pool.TryTake(out var w) ? w : new TileWorkspace(packed.PaddedKeys, s.HeadDim, packed.PaddedChannels),
                    (item, _, work) =>
                    {
                        int tile = item % tiles;
                        RunTile(b, firstHead + item / tiles, tile * TileWorkspace.Rows, Math.Min(TileWorkspace.Rows, s.QueryLength - tile * TileWorkspace.Rows), packed, work);
                        return work;
                    },
                    pool.Add);
            }
    }

    private void RunTile(int batch, int head, int tileStart, int rows, PackedKeyValues packed, TileWorkspace work)
    {
        int d = _shape.HeadDim, stride = packed.PaddedKeys, channels = packed.PaddedChannels;
        int blockedRows = (rows + ScoreKernel.RowBlock - 1) / ScoreKernel.RowBlock * ScoreKernel.RowBlock;
        var visible = work.Visible.AsSpan(0, blockedRows);
        visible.Clear();
        work.Queries.AsSpan(rows * d, (blockedRows - rows) * d).Clear(); // padding rows: zero, never read back
        long queryStart = _queries.Start(batch, head);
        int keysNeeded = 0;
        for (int r = 0; r < rows; r++)
        {
            visible[r] = Math.Max(0, problem.LastVisibleKey(tileStart + r) + 1);
            keysNeeded = Math.Max(keysNeeded, visible[r]);
            var query = q.AsSpan(checked((int)(queryStart + (tileStart + r) * _queries.TokenStride)), d);
            TensorPrimitives.ConvertChecked<float, double>(query, work.Queries.AsSpan(r * d, d));
        }

        long lseStart = ((long)batch * _shape.QueryHeads + head) * _shape.QueryLength + tileStart;
        if (keysNeeded == 0)
        {
            Lse.AsSpan(checked((int)lseStart), rows).Fill(double.NegativeInfinity); // log of an empty sum
            return;
        }

        ScoreKernel.Compute(work.Queries, d, blockedRows, packed.KeyPanels, keysNeeded, problem.SoftmaxScale, work.Scores, stride);
        for (int r = 0; r < rows; r++)
        {
            if (visible[r] == 0)
            {
                Lse[lseStart + r] = double.NegativeInfinity;
                continue;
            }
            (work.Sums[r], Lse[lseStart + r]) = RowAttention.ExponentiateShifted(work.Scores.AsSpan(r * stride, visible[r]));
        }

        work.Outputs.AsSpan(0, blockedRows * channels).Clear();
        ValueKernel.Accumulate(work.Scores, stride, visible, blockedRows, packed.Values, channels, work.Outputs);
        for (int r = 0; r < rows; r++)
        {
            if (visible[r] == 0) continue;
            var output = work.Outputs.AsSpan(r * channels, d);
            TensorPrimitives.Divide(output, work.Sums[r], output);
            _queries.Scatter(output, batch, head, tileStart + r, Output);
        }
    }
}
