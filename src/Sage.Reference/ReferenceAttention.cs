using System.Numerics.Tensors;

namespace Sage.Reference;

/// <summary>
/// Exact attention in float64: the ground truth that the emulator and the CUDA kernels are measured against.
/// </summary>
/// <remarks>
/// <para>Handles every problem <see cref="AttentionProblem"/> can express: grouped-query attention (query head h
/// reads key/value head h / GroupSize), HND and NHD layouts, any query and key lengths, causal masking aligned
/// bottom-right (row i sees key j when j ≤ i + KeyLength − QueryLength, see
/// <see cref="AttentionProblem.LastVisibleKey"/>), the softmax scale and the natural-log log-sum-exp.
/// A row that sees no key (and every row when KeyLength = 0) gives output 0 and log-sum-exp −∞.</para>
/// <para>Inputs are widened exactly to float64; each row's scores, softmax (two passes, maximum subtracted) and
/// weighted sum of values are computed in float64, Q·Kᵀ and P·V by register-blocked FMA micro-kernels
/// (<see cref="ScoreKernel"/>, <see cref="ValueKernel"/>) on keys and values packed once per KV head
/// (<see cref="PackedKeyValues"/>). The query heads' 32-row tiles of one KV head run in parallel; memory beyond the
/// inputs and output is one packed KV head plus O(32 · KeyLength) doubles per worker.</para>
/// <para>NaN and infinity are not filtered: they propagate as IEEE arithmetic dictates (a NaN in q or in a visible
/// key makes that row NaN; a NaN in a visible value makes that output channel NaN; an infinite score makes its row
/// NaN through ∞ − ∞). Reporting them is the job of <see cref="AccuracyMetrics"/>.</para>
/// <para>Results are deterministic and do not depend on tiling, thread count or vector width: every score and output
/// value is one fixed chain of fused multiply-adds and every row sum has a fixed order. Only the vectorised exp
/// (TensorPrimitives) may differ in the last ulp between machines: far below any format the backends produce.</para>
/// </remarks>
public sealed class ReferenceAttention : IAttentionBackend
{
    public string Name => "reference";

    /// <summary>Worker threads (default −1: all cores).</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    /// <summary>
    /// Runs <see cref="Compute"/> and rounds the output once (round-to-nearest-even, straight from float64) to
    /// <see cref="SageOptions.OutputType"/>, and the log-sum-exp to float32 when the problem asks for it.
    /// The other options do not apply to exact attention and are ignored, as are the Sage kernels' head-dim limits.
    /// </summary>
    public AttentionResult Run(AttentionProblem problem, HostTensor q, HostTensor k, HostTensor v, SageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(problem);
        problem.CheckInputs(q, k, v);
        var outputType = (options ?? SageOptions.Default).OutputType;
        if (!Enum.IsDefined(outputType))
            throw new ArgumentOutOfRangeException(nameof(options), outputType, "Unknown output element type in SageOptions.OutputType.");
        var exact = Compute(problem, q, k, v);
        return new AttentionResult(exact.ToTensor(outputType), problem.ReturnLse ? exact.LseAsSingle() : null);
    }

    /// <summary>Exact attention: float64 output in Q's layout and shape, and the float64 log-sum-exp of every row.</summary>
    /// <exception cref="ArgumentException">A tensor's shape does not match <paramref name="problem"/> (checked before any work).</exception>
    public ReferenceResult Compute(AttentionProblem problem, HostTensor q, HostTensor k, HostTensor v)
    {
        ArgumentNullException.ThrowIfNull(problem);
        problem.CheckInputs(q, k, v);
        var s = problem.Shape;
        var pass = new ExactPass(problem, q.ToSingleArray(), k.ToSingleArray(), v.ToSingleArray(), MaxDegreeOfParallelism);
        pass.Run();
        return new ReferenceResult(pass.Output, [.. s.QueryShape(problem.Layout)], problem.Layout, pass.Lse);
    }

    /// <summary>
    /// The softmax probabilities of one query row over all KeyLength keys (0 for keys the row may not see; all 0
    /// for a row that sees none). For tests and diagnostics: the output of that row is Σ_j p_j v_j.
    /// </summary>
    public static double[] RowProbabilities(AttentionProblem problem, HostTensor q, HostTensor k, int batch, int queryHead, int row)
    {
        ArgumentNullException.ThrowIfNull(problem);
        problem.CheckInputs(q, k, k); // V plays no part; K stands in for it, having V's shape
        var s = problem.Shape;
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(batch, s.Batch);
        ArgumentOutOfRangeException.ThrowIfNegative(queryHead);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(queryHead, s.QueryHeads);
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, s.QueryLength);

        var probabilities = new double[s.KeyLength];
        int visible = problem.LastVisibleKey(row) + 1;
        if (visible <= 0) return probabilities;

        var queries = new HeadAddressing(problem.Layout, s.QueryHeads, s.QueryLength, s.HeadDim);
        var keyValues = new HeadAddressing(problem.Layout, s.KeyValueHeads, s.KeyLength, s.HeadDim);
        var keys = new double[(long)s.KeyLength * s.HeadDim];
        keyValues.Gather(k.ToSingleArray(), batch, queryHead / s.GroupSize, keys);
        var query = new double[s.HeadDim];
        TensorPrimitives.ConvertChecked<float, double>(
            q.ToSingleArray().AsSpan(checked((int)(queries.Start(batch, queryHead) + row * queries.TokenStride)), s.HeadDim), query);

        var weights = probabilities.AsSpan(0, visible);
        RowAttention.ScaledScores(query, keys, problem.SoftmaxScale, weights);
        var (sum, _) = RowAttention.ExponentiateShifted(weights);
        TensorPrimitives.Divide(weights, sum, weights);
        return probabilities;
    }
}
