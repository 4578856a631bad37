namespace Sage;

/// <summary>
/// One attention call: O = softmax(Q·Kᵀ·scale + mask)·V, per batch and query head.
/// </summary>
/// <remarks>
/// Causal masking is aligned bottom-right, as FlashAttention does: query row i (0-based) sees key
/// j when j ≤ i + (KeyLength − QueryLength). With QueryLength &gt; KeyLength the first rows see no
/// key at all; such rows, and every row when KeyLength = 0, produce an output of zeros and a
/// log-sum-exp of −∞ (the log of an empty sum), never NaN.
/// </remarks>
public sealed record AttentionProblem
{
    public AttentionProblem(AttentionShape shape, TensorLayout layout = TensorLayout.HND, bool causal = false,
        double? softmaxScale = null, bool returnLse = false)
    {
        Shape = shape;
        Layout = layout;
        Causal = causal;
        SoftmaxScale = softmaxScale ?? (shape.HeadDim > 0 ? 1.0 / Math.Sqrt(shape.HeadDim) : double.NaN);
        ReturnLse = returnLse;
        Validate();
    }

    public AttentionShape Shape { get; }
    public TensorLayout Layout { get; }
    public bool Causal { get; }

    /// <summary>Multiplier of Q·Kᵀ before the softmax; defaults to 1/√head_dim.</summary>
    public double SoftmaxScale { get; }

    /// <summary>Whether the backend also returns the natural-log log-sum-exp of each row's scaled scores.</summary>
    public bool ReturnLse { get; }

    /// <summary>Key index of the last key that query row <paramref name="row"/> may see (bottom-right alignment).</summary>
    public int LastVisibleKey(int row) =>
        Causal ? Math.Min(Shape.KeyLength - 1, row + Shape.KeyLength - Shape.QueryLength) : Shape.KeyLength - 1;

    private void Validate()
    {
        var s = Shape;
        Require(s.Batch >= 1, "Batch", s.Batch, "at least 1");
        Require(s.QueryHeads >= 1, "QueryHeads", s.QueryHeads, "at least 1");
        Require(s.KeyValueHeads >= 1, "KeyValueHeads", s.KeyValueHeads, "at least 1");
        Require(s.QueryLength >= 0, "QueryLength", s.QueryLength, "0 or more");
        Require(s.KeyLength >= 0, "KeyLength", s.KeyLength, "0 or more");
        Require(s.HeadDim >= 1, "HeadDim", s.HeadDim, "at least 1");
        if (s.QueryHeads % s.KeyValueHeads != 0)
            throw new ArgumentException(
                $"QueryHeads ({s.QueryHeads}) must be a multiple of KeyValueHeads ({s.KeyValueHeads}) for grouped-query attention.",
                "shape");
        if (!double.IsFinite(SoftmaxScale) || SoftmaxScale <= 0)
            throw new ArgumentOutOfRangeException("softmaxScale", SoftmaxScale, "The softmax scale must be finite and positive.");
        if (!Enum.IsDefined(Layout))
            throw new ArgumentOutOfRangeException("layout", Layout, "Unknown tensor layout.");
    }

    private static void Require(bool ok, string name, int value, string expected)
    {
        if (!ok) throw new ArgumentOutOfRangeException("shape", value, $"AttentionShape.{name} is {value}; expected {expected}.");
    }

    /// <summary>Checks that Q, K and V have this problem's shapes; throws an ArgumentException naming the tensor otherwise.</summary>
    public void CheckInputs(HostTensor q, HostTensor k, HostTensor v)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(k);
        ArgumentNullException.ThrowIfNull(v);
        CheckShape(q, Shape.QueryShape(Layout), nameof(q));
        CheckShape(k, Shape.KeyValueShape(Layout), nameof(k));
        CheckShape(v, Shape.KeyValueShape(Layout), nameof(v));
    }

    private void CheckShape(HostTensor t, int[] expected, string name)
    {
        if (!t.Shape.SequenceEqual(expected))
            throw new ArgumentException(
                $"Tensor {name} has shape [{string.Join(", ", t.Shape)}]; the problem ({Shape}, {Layout}) expects [{string.Join(", ", expected)}].",
                name);
    }
}
