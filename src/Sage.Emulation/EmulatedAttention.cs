using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Sage.Emulation.Diagnostics;
using Sage.Emulation.Preprocessing;
using Sage.Emulation.Tracing;
using Sage.Numerics;

namespace Sage.Emulation;

/// <summary>
/// CPU emulator of our SageAttention2++ Hopper kernel, bit-exact with docs/kernel-spec.md: pre-processing per
/// (batch, key/value head), then one <see cref="QueryTileEmulator"/> per (batch, query head, 128-row query tile),
/// in parallel. Memory: the inputs, the quantised K/V, and O(tile) scratch per worker; never O(N²). The per-run K/V
/// arrays are rented from the shared array pools and the workers are kept for the next run with the same problem and
/// options, so that a repeated run allocates only its output.
/// </summary>
public sealed class EmulatedAttention : IAttentionBackend
{
    private readonly PvModelSet _models;

    /// <summary>Uses the project's tensor-core models (<see cref="PvModelSet.Measured"/>).</summary>
    public EmulatedAttention() : this(PvModelSet.Measured()) { }

    /// <summary>Uses the given PV models (e.g. a literature model in tests).</summary>
    public EmulatedAttention(PvModelSet models)
    {
        ArgumentNullException.ThrowIfNull(models);
        _models = models;
    }

    public string Name => "emulator";

    /// <summary>Maximum worker threads (default: all cores).</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    /// <summary>Whether the tensor-core model that <paramref name="mode"/> uses was verified bit for bit on the H100.</summary>
    public bool ModelVerifiedOnHardware(PvAccumulation mode) => _models.For(mode).Model.VerifiedOnHardware;

    public AttentionResult Run(AttentionProblem problem, HostTensor q, HostTensor k, HostTensor v, SageOptions? options = null)
    {
        var run = Prepare(problem, q, k, v, options);
        long clock = PhaseClock.Start();
        var shape = problem.Shape;
        int d = shape.HeadDim;
        int qTiles = KernelTiling.TileCount(shape.QueryLength, KernelTiling.QueryTileRows);
        long total = (long)shape.Batch * shape.QueryHeads * shape.QueryLength * d;
        var outputType = run.Options.OutputType;
        // Each worker writes its rows in the output type (the same per-element conversion as a pass over the whole
        // fp32 output, but spread over the workers).
        // Every element is written by a worker, so the arrays need not be zeroed first (a serial 8-16 MiB memset).
        float[]? output = outputType == ElementType.Float32 ? GC.AllocateUninitializedArray<float>(checked((int)total)) : null;
        ushort[]? outputBits = output is null ? GC.AllocateUninitializedArray<ushort>(checked((int)total)) : null;
        float[]? lse = problem.ReturnLse ? GC.AllocateUninitializedArray<float>(checked((int)((long)shape.Batch * shape.QueryHeads * shape.QueryLength))) : null;
        var outAddressing = new TokenAddressing(problem.Layout, shape.QueryHeads, shape.QueryLength, d);

        // One query tile per grab, in order: every worker takes the next tile when it is done (no per-worker ranges, so
        // the last workers wait for at most one tile), and workers busy at the same time share the K/V head in cache.
        Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(0, shape.Batch * shape.QueryHeads * qTiles, 1), ParallelOptions,
            () => TakeWorker(problem, run.Options),
            (range, _, local) =>
            {
                int item = range.Item1;
                int tile = item % qTiles, bh = item / qTiles, head = bh % shape.QueryHeads, batch = bh / shape.QueryHeads;
                var kv = run.KeyValueHeads[batch * shape.KeyValueHeads + head / shape.GroupSize];
                local.Worker.Run(run.Q, outAddressing, batch, head, tile, kv, local.Out, lse is null ? Span<float>.Empty : local.Lse, null);
                long written = PhaseClock.ThreadStart();
                int q0 = tile * KernelTiling.QueryTileRows;
                int rows = Math.Min(KernelTiling.QueryTileRows, shape.QueryLength - q0);
                for (int r = 0; r < rows; r++)
                {
                    long at = outAddressing.Offset(batch, head, q0 + r);
                    if (output is not null) Array.Copy(local.Out, r * d, output, at, d);
                    else Epilogue.OutputRounding.Round(local.Out.AsSpan(r * d, d), outputType, outputBits.AsSpan((int)at, d));
                    if (lse is not null) lse[((long)batch * shape.QueryHeads + head) * shape.QueryLength + q0 + r] = local.Lse[r];
                }
                PhaseClock.ThreadLap(Phase.Output, written);
                return local;
            },
            _workers.Add);
        clock = PhaseClock.Lap(Phase.MainLoop, clock);

        foreach (var head in run.KeyValueHeads) head.ReturnToPool();
        System.Buffers.ArrayPool<float>.Shared.Return(run.Q);
        var outputShape = shape.QueryShape(problem.Layout);
        var result = new AttentionResult(output is not null ? HostTensor.FromSingle(output, outputShape) : HostTensor.FromBits(outputType, outputBits!, outputShape), lse);
        PhaseClock.Lap(Phase.Result, clock);
        return result;
    }

    /// <summary>
    /// Runs one (batch, query head, query tile) and returns every intermediate (docs/kernel-spec.md §11). The values
    /// are those <see cref="Run"/> computes for that tile.
    /// </summary>
    public EmulatorTrace Trace(AttentionProblem problem, HostTensor q, HostTensor k, HostTensor v, SageOptions? options,
        TraceSelection selection)
    {
        var shape = problem.Shape;
        int qTiles = KernelTiling.TileCount(shape.QueryLength, KernelTiling.QueryTileRows);
        if ((uint)selection.Batch >= (uint)shape.Batch || (uint)selection.QueryHead >= (uint)shape.QueryHeads
            || (uint)selection.QueryTile >= (uint)qTiles)
            throw new ArgumentOutOfRangeException(nameof(selection), selection,
                $"Expected batch < {shape.Batch}, query head < {shape.QueryHeads}, query tile < {qTiles} for {shape}.");
        var run = Prepare(problem, q, k, v, options, selection);
        int d = shape.HeadDim;
        int rows = Math.Min(KernelTiling.QueryTileRows, shape.QueryLength - selection.QueryTile * KernelTiling.QueryTileRows);
        var trace = new EmulatorTrace(selection, run.Options, rows, d);
        var worker = new QueryTileEmulator(problem, run.Options, _models);
        var outAddressing = new TokenAddressing(problem.Layout, shape.QueryHeads, shape.QueryLength, d);
        var kv = run.KeyValueHeads[0];
        worker.Run(run.Q, outAddressing, selection.Batch, selection.QueryHead, selection.QueryTile, kv,
            new float[KernelTiling.QueryTileRows * d], problem.ReturnLse ? new float[KernelTiling.QueryTileRows] : Span<float>.Empty, trace);
        System.Buffers.ArrayPool<float>.Shared.Return(run.Q);
        return trace;
    }

    private ParallelOptions ParallelOptions => new() { MaxDegreeOfParallelism = MaxDegreeOfParallelism };

    /// <summary>A query-tile worker with its O(tile) scratch (≈ 0.7 MiB at d = 128) and output rows.</summary>
    private sealed record TileWorker(QueryTileEmulator Worker, float[] Out, float[] Lse);

    // Workers of earlier runs: a run with the same problem and options reuses them instead of allocating (and the GC
    // zeroing, and later collecting) a set per run. At most as many as the runs had workers at once.
    private readonly System.Collections.Concurrent.ConcurrentBag<TileWorker> _workers = [];

    private TileWorker TakeWorker(AttentionProblem problem, SageOptions options)
    {
        while (_workers.TryTake(out var cached))
            if (cached.Worker.Fits(problem, options)) return cached;
        return new TileWorker(new QueryTileEmulator(problem, options, _models), new float[KernelTiling.QueryTileRows * problem.Shape.HeadDim],
            new float[KernelTiling.QueryTileRows]);
    }

    private sealed record PreparedRun(SageOptions Options, float[] Q, PreparedKeyValueHead[] KeyValueHeads);

    /// <summary>Validates, widens the inputs to fp32, and runs the K/V pre-processing (all heads, or the traced one).</summary>
    private PreparedRun Prepare(AttentionProblem problem, HostTensor q, HostTensor k, HostTensor v, SageOptions? options,
        TraceSelection? only = null)
    {
        long clock = PhaseClock.Start();
        ArgumentNullException.ThrowIfNull(problem);
        options ??= SageOptions.Default;
        options.Validate(problem);
        problem.CheckInputs(q, k, v);
        clock = PhaseClock.Lap(Phase.Validate, clock);
        var shape = problem.Shape;
        // The input domain (SageInputDomain) is checked on the widened values, in parallel with the widening (a serial
        // scan of Q, K and V costs more than the widening itself); only when some element is outside does the serial
        // check run, for its exception naming the tensor and the element. The same maxima bound the scores.
        float[] qs = Widen(q, out float qMax), ks = Widen(k, out float kMax), vs = Widen(v, out float vMax);
        // false when a maximum is NaN (an element was NaN) or reaches 2^100
        if (!(qMax < SageInputDomain.MaxMagnitude && kMax < SageInputDomain.MaxMagnitude && vMax < SageInputDomain.MaxMagnitude))
            SageInputDomain.Require(problem, q, k, v);
        SageInputDomain.RequireBoundedScores(problem, qMax, kMax);
        clock = PhaseClock.Lap(Phase.Widen, clock);
        var kvAddressing = new TokenAddressing(problem.Layout, shape.KeyValueHeads, shape.KeyLength, shape.HeadDim);
        PreparedKeyValueHead[] heads;
        if (only is { } sel)
        {
            heads = [KeyValuePreprocessing.Prepare(ks, vs, kvAddressing, sel.Batch, sel.QueryHead / shape.GroupSize, options)];
        }
        else
        {
            // Per head the sequence-wide means and scales, then every (head, key tile) on its own: all cores stay busy
            // even with fewer heads than cores.
            var pending = new KeyValuePreprocessing.Pending[shape.Batch * shape.KeyValueHeads];
            Parallel.For(0, pending.Length, ParallelOptions, i =>
            {
                long cpu = PhaseClock.ThreadStart();
                pending[i] = KeyValuePreprocessing.Begin(ks, vs, kvAddressing, i / shape.KeyValueHeads, i % shape.KeyValueHeads, options,
                    pooled: true);
                PhaseClock.ThreadLap(Phase.Preprocessing, cpu);
            });
            clock = PhaseClock.Lap(Phase.KeyValueHeads, clock);
            int keyTiles = KernelTiling.TileCount(shape.KeyLength, KernelTiling.KeyTileTokens);
            Parallel.For(0, pending.Length * keyTiles, ParallelOptions, i =>
            {
                long cpu = PhaseClock.ThreadStart();
                KeyValuePreprocessing.PrepareTile(pending[i / keyTiles], i % keyTiles);
                PhaseClock.ThreadLap(Phase.Preprocessing, cpu);
            });
            heads = new PreparedKeyValueHead[pending.Length];
            for (int i = 0; i < pending.Length; i++)
            {
                pending[i].Release();
                heads[i] = pending[i].Head;
            }
        }
        PhaseClock.Lap(Phase.KeyValueTiles, clock);
        System.Buffers.ArrayPool<float>.Shared.Return(ks);
        System.Buffers.ArrayPool<float>.Shared.Return(vs);
        return new PreparedRun(options, qs, heads);
    }

    /// <summary>
    /// The tensor widened exactly to fp32 (as <see cref="HostTensor.CopyTo"/>), in parallel chunks, into an array rented
    /// from the shared pool (the caller returns it): repeated calls then reuse memory instead of faulting in new pages.
    /// <paramref name="largest"/>: the largest |x| (0 for an empty tensor), NaN when an element is NaN; an element is
    /// outside the input domain (NaN, infinite or of magnitude ≥ 2^100; for FP16 and BF16 the same elements as
    /// <see cref="SageInputDomain.FirstOutside"/>, widening being exact) exactly when largest &lt; 2^100 is false.
    /// </summary>
    private float[] Widen(HostTensor tensor, out float largest)
    {
        const int chunk = 1 << 18;
        long length = tensor.Length;
        var result = System.Buffers.ArrayPool<float>.Shared.Rent((int)length);
        var type = tensor.ElementType;
        var chunkLargest = new float[(int)((length + chunk - 1) / chunk)];
        Parallel.For(0, chunkLargest.Length, ParallelOptions, i =>
        {
            long cpu = PhaseClock.ThreadStart();
            int start = i * chunk, count = (int)Math.Min(chunk, length - start);
            var dst = result.AsSpan(start, count);
            if (type == ElementType.Float32)
                tensor.Single.Slice(start, count).CopyTo(dst);
            else if (type == ElementType.Float16)
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<ushort, Half>(tensor.Bits16.Slice(start, count)), dst);
            else
            {
                var bits = tensor.Bits16.Slice(start, count);
                for (int j = 0; j < count; j++) dst[j] = BitConverter.UInt32BitsToSingle((uint)bits[j] << 16);
            }
            chunkLargest[i] = MathF.Abs(TensorPrimitives.MaxMagnitude<float>(dst)); // NaN when an element is NaN
            PhaseClock.ThreadLap(Phase.Preprocessing, cpu);
        });
        largest = chunkLargest.Length == 0 ? 0f : MathF.Abs(TensorPrimitives.MaxMagnitude<float>(chunkLargest));
        return result;
    }
}
