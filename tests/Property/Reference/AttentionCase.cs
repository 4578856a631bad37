using Sage.Reference;

namespace Sage.Property.Tests.Reference;

/// <summary>A small random attention problem with its inputs, built from the integers FsCheck generates (and shrinks).</summary>
internal sealed record AttentionCase(AttentionProblem Problem, float[] Q, float[] K, float[] V)
{
    public AttentionShape Shape => Problem.Shape;

    public static AttentionCase Create(int seed, int sizes, bool causal, TensorLayout layout = TensorLayout.HND,
        bool allowEmpty = false, bool squareCausal = false)
    {
        var rng = new Random(sizes);
        int kvHeads = 1 + rng.Next(2), group = 1 + rng.Next(3), d = 1 + rng.Next(16);
        int nk = rng.Next(allowEmpty ? 0 : 1, 13);
        int nq = squareCausal ? nk : rng.Next(allowEmpty ? 0 : 1, 10);
        var shape = new AttentionShape(1 + rng.Next(2), kvHeads * group, kvHeads, nq, nk, d);
        double? scale = rng.Next(3) == 0 ? 0.05 + rng.NextDouble() : null;
        var problem = new AttentionProblem(shape, layout, causal, scale, returnLse: true);
        var family = (DataFamily)((uint)seed % 5);
        var type = (ElementType)((uint)seed / 5 % 3);
        var inputs = SyntheticData.GenerateInputs(problem, family, type, seed);
        return new(problem, inputs.Q.ToSingleArray(), inputs.K.ToSingleArray(), inputs.V.ToSingleArray());
    }

    /// <summary>A case of a given shape (large enough to exercise the reference's blocking), with synthetic data.</summary>
    public static AttentionCase Sized(AttentionShape shape, TensorLayout layout, bool causal, DataFamily family, ElementType type, int seed,
        double? scale = null)
    {
        var problem = new AttentionProblem(shape, layout, causal, scale, returnLse: true);
        var inputs = SyntheticData.GenerateInputs(problem, family, type, seed);
        return new(problem, inputs.Q.ToSingleArray(), inputs.K.ToSingleArray(), inputs.V.ToSingleArray());
    }

    public HostTensor QTensor => HostTensor.FromSingle(Q, Shape.QueryShape(Problem.Layout));
    public HostTensor KTensor => HostTensor.FromSingle(K, Shape.KeyValueShape(Problem.Layout));
    public HostTensor VTensor => HostTensor.FromSingle(V, Shape.KeyValueShape(Problem.Layout));

    public ReferenceResult Compute() => new ReferenceAttention().Compute(Problem, QTensor, KTensor, VTensor);

    /// <summary>Largest |v|: the natural yardstick for absolute errors of an output (a convex combination of values).</summary>
    public double ValueMagnitude => V.Length == 0 ? 0 : V.Max(x => Math.Abs((double)x));

    /// <summary>Flat index of (b, h, t, c) in a Q-shaped (or output) tensor.</summary>
    public long QueryIndex(int b, int h, int t, int c) => Problem.Layout == TensorLayout.HND
        ? (((long)b * Shape.QueryHeads + h) * Shape.QueryLength + t) * Shape.HeadDim + c
        : (((long)b * Shape.QueryLength + t) * Shape.QueryHeads + h) * Shape.HeadDim + c;

    /// <summary>Flat index of (b, h, t, c) in a K- or V-shaped tensor.</summary>
    public long KeyIndex(int b, int h, int t, int c) => Problem.Layout == TensorLayout.HND
        ? (((long)b * Shape.KeyValueHeads + h) * Shape.KeyLength + t) * Shape.HeadDim + c
        : (((long)b * Shape.KeyLength + t) * Shape.KeyValueHeads + h) * Shape.HeadDim + c;

    public override string ToString() => $"{Shape} {Problem.Layout} causal={Problem.Causal} scale={Problem.SoftmaxScale}";
}
