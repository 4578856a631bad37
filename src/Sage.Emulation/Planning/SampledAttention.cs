using Sage.Emulation.Preprocessing;
using Sage.Numerics;
using Sage.Reference;

namespace Sage.Emulation.Planning;

/// <summary>
/// The emulator and the float64 reference restricted to the query tiles of a <see cref="QueryTileSample"/>.
/// Both return the sampled rows in one compact order: for each selected tile, [batch, query head, tile row, d].
/// </summary>
/// <remarks>
/// The emulated rows are bit-identical to those of <see cref="EmulatedAttention.Run"/> (same tile emulator, same
/// pre-processing over the whole K/V sequence, same output rounding). The reference runs one exact sub-problem per
/// tile: the tile's rows against all keys, or for a causal problem against the keys up to the last one the tile's
/// last row sees (row i of the sub-problem then sees exactly the keys its original row saw).
/// </remarks>
public static class SampledAttention
{
    /// <summary>The emulator's output (rounded to the options' output type, widened exactly) for the sampled rows.</summary>
    public static float[] Emulate(AttentionProblem problem, HostTensor q, HostTensor k, HostTensor v, SageOptions options,
        QueryTileSample sample, PvModelSet models, int maxDegreeOfParallelism)
    {
        options.Validate(problem);
        problem.CheckInputs(q, k, v);
        var s = problem.Shape;
        int d = s.HeadDim;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism };
        float[] qs = q.ToSingleArray(), ks = k.ToSingleArray(), vs = v.ToSingleArray();
        var kvAddressing = new TokenAddressing(problem.Layout, s.KeyValueHeads, s.KeyLength, d);
        var heads = new PreparedKeyValueHead[s.Batch * s.KeyValueHeads];
        Parallel.For(0, heads.Length, parallel, i =>
            heads[i] = KeyValuePreprocessing.Prepare(ks, vs, kvAddressing, i / s.KeyValueHeads, i % s.KeyValueHeads, options));

        var qAddressing = new TokenAddressing(problem.Layout, s.QueryHeads, s.QueryLength, d);
        int bh = s.Batch * s.QueryHeads;
        var output = new float[(long)bh * sample.RowsPerHead * d];
        Parallel.For(0, sample.Tiles.Count * bh, parallel,
            () => (Worker: new QueryTileEmulator(problem, options, models), Out: new float[KernelTiling.QueryTileRows * d]),
            (item, _, local) =>
            {
                int selected = item / bh, head = item % bh % s.QueryHeads, batch = item % bh / s.QueryHeads;
                int tile = sample.Tiles[selected], rows = sample.RowsOf(tile);
                var kv = heads[batch * s.KeyValueHeads + head / s.GroupSize];
                local.Worker.Run(qs, qAddressing, batch, head, tile, kv, local.Out, Span<float>.Empty, null);
                long at = ((long)sample.RowStarts[selected] * bh + (long)(batch * s.QueryHeads + head) * rows) * d;
                Round(local.Out.AsSpan(0, rows * d), options.OutputType, output.AsSpan((int)at, rows * d));
                return local;
            },
            _ => { });
        return output;
    }

    /// <summary>The float64 reference output of the sampled rows.</summary>
    public static double[] Reference(AttentionProblem problem, HostTensor q, HostTensor k, HostTensor v, QueryTileSample sample,
        int maxDegreeOfParallelism = -1)
    {
        problem.CheckInputs(q, k, v);
        var s = problem.Shape;
        int d = s.HeadDim, bh = s.Batch * s.QueryHeads;
        var reference = new ReferenceAttention { MaxDegreeOfParallelism = maxDegreeOfParallelism };
        var output = new double[(long)bh * sample.RowsPerHead * d];
        float[] qs = q.ToSingleArray(), ks = k.ToSingleArray(), vs = v.ToSingleArray();
        var qAddressing = new TokenAddressing(problem.Layout, s.QueryHeads, s.QueryLength, d);
        var kvAddressing = new TokenAddressing(problem.Layout, s.KeyValueHeads, s.KeyLength, d);
        for (int selected = 0; selected < sample.Tiles.Count; selected++)
        {
            int tile = sample.Tiles[selected], rows = sample.RowsOf(tile), q0 = QueryTileSample.FirstRow(tile);
            int keys = problem.Causal ? Math.Clamp(q0 + rows + s.KeyLength - s.QueryLength, 0, s.KeyLength) : s.KeyLength;
            var shape = new AttentionShape(s.Batch, s.QueryHeads, s.KeyValueHeads, rows, keys, d);
            var sub = new AttentionProblem(shape, TensorLayout.HND, problem.Causal, problem.SoftmaxScale);
            var subQ = HostTensor.FromSingle(GatherHnd(qs, qAddressing, s.Batch, s.QueryHeads, q0, rows, d), shape.QueryShape(TensorLayout.HND));
            var subK = HostTensor.FromSingle(GatherHnd(ks, kvAddressing, s.Batch, s.KeyValueHeads, 0, keys, d), shape.KeyValueShape(TensorLayout.HND));
            var subV = HostTensor.FromSingle(GatherHnd(vs, kvAddressing, s.Batch, s.KeyValueHeads, 0, keys, d), shape.KeyValueShape(TensorLayout.HND));
            var exact = reference.Compute(sub, subQ, subK, subV);
            // HND [batch, head, row, d] is exactly the compact order of one selected tile.
            Array.Copy(exact.Output, 0, output, (long)sample.RowStarts[selected] * bh * d, exact.Output.LongLength);
        }
        return output;
    }

    /// <summary>Tokens [first, first + count) of every (batch, head), as an HND array.</summary>
    private static float[] GatherHnd(float[] source, TokenAddressing addressing, int batches, int heads, int first, int count, int d)
    {
        var result = new float[(long)batches * heads * count * d];
        long at = 0;
        for (int b = 0; b < batches; b++)
            for (int h = 0; h < heads; h++)
                for (int t = 0; t < count; t++, at += d)
                    Array.Copy(source, addressing.Offset(b, h, first + t), result, at, d);
        return result;
    }

    /// <summary>The kernel's output rounding (as <see cref="EmulatedAttention.Run"/>), widened back exactly to float.</summary>
    private static void Round(ReadOnlySpan<float> values, ElementType type, Span<float> destination)
    {
        for (int i = 0; i < values.Length; i++)
        {
            destination[i] = type switch
            {
                ElementType.Float32 => values[i],
                ElementType.Float16 => (float)BitConverter.UInt16BitsToHalf(Ptx.CvtRnF16(values[i])),
                _ => BFloat16.FromBits(Ptx.CvtRnBf16(values[i])).ToSingle(),
            };
        }
    }
}
