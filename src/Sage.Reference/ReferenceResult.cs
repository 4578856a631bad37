using Sage.Numerics;

namespace Sage.Reference;

/// <summary>
/// The exact (float64) answer to one attention problem, before any rounding to an output type.
/// </summary>
/// <remarks>
/// <see cref="Output"/> has the layout and shape of Q (<see cref="Shape"/>); <see cref="Lse"/> is the
/// natural-log log-sum-exp of each row's scaled scores, [batch, query heads, query length], with −∞ for
/// rows that see no key. Both are always computed: the log-sum-exp costs one logarithm per row.
/// </remarks>
public sealed class ReferenceResult
{
    public ReferenceResult(double[] output, int[] shape, TensorLayout layout, double[] lse)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(lse);
        long elements = 1;
        foreach (int d in shape) elements *= d;
        if (elements != output.LongLength)
            throw new ArgumentException(
                $"Output holds {output.LongLength} values but shape [{string.Join(", ", shape)}] needs {elements}.", nameof(output));
        Output = output;
        Shape = (int[])shape.Clone();
        Layout = layout;
        Lse = lse;
    }

    /// <summary>Attention output in float64, row-major in <see cref="Layout"/>, same shape as Q.</summary>
    public double[] Output { get; }

    /// <summary>Shape of <see cref="Output"/> (that of Q).</summary>
    public IReadOnlyList<int> Shape { get; }

    public TensorLayout Layout { get; }

    /// <summary>Natural-log log-sum-exp per row, [batch, query heads, query length]; −∞ where a row sees no key.</summary>
    public double[] Lse { get; }

    /// <summary>
    /// The output rounded once, to nearest with ties to even, into <paramref name="type"/>. Rounding goes straight
    /// from float64 (never through float32 first) so that no value is rounded twice.
    /// </summary>
    public HostTensor ToTensor(ElementType type)
    {
        int[] shape = [.. Shape];
        switch (type)
        {
            case ElementType.Float32:
                var single = new float[Output.Length];
                for (int i = 0; i < single.Length; i++) single[i] = (float)Output[i]; // correctly rounded (RNE)
                return HostTensor.FromSingle(single, shape);
            case ElementType.Float16:
                var half = new ushort[Output.Length];
                for (int i = 0; i < half.Length; i++) half[i] = OutputRounding.ToHalfBits(Output[i]);
                return HostTensor.FromBits(type, half, shape);
            case ElementType.BFloat16:
                var bf16 = new ushort[Output.Length];
                for (int i = 0; i < bf16.Length; i++) bf16[i] = OutputRounding.ToBFloat16(Output[i]).Bits;
                return HostTensor.FromBits(type, bf16, shape);
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown element type.");
        }
    }

    /// <summary>The log-sum-exp rounded to float32 (−∞ stays −∞), as <see cref="AttentionResult.Lse"/> holds it.</summary>
    public float[] LseAsSingle()
    {
        var result = new float[Lse.Length];
        for (int i = 0; i < result.Length; i++) result[i] = (float)Lse[i];
        return result;
    }
}
