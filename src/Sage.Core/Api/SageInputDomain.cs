namespace Sage;

/// <summary>
/// The input domain of the quantised (Sage) backends, docs/kernel-spec.md §0: every element finite and of
/// magnitude below 2^100. Outside it the kernel's arithmetic would turn values into inf/NaN (and a NaN would
/// be silently dropped by the GPU's NaN-ignoring max.f32 while the emulator propagated it), so the host APIs
/// refuse such input up front with an exception naming the tensor, the element and its value.
/// The float64 reference has no such limit: it follows IEEE arithmetic (NaN propagates) and says so.
/// </summary>
public static class SageInputDomain
{
    /// <summary>Largest magnitude (exclusive) an input element may have: 2^100.</summary>
    public const float MaxMagnitude = 1.2676506e30f; // 2^100, exact in float32

    /// <summary>Throws an ArgumentException for the first element of Q, K or V outside the domain.</summary>
    public static void Require(AttentionProblem problem, HostTensor q, HostTensor k, HostTensor v)
    {
        ArgumentNullException.ThrowIfNull(problem);
        Check(problem, q, nameof(q), problem.Shape.QueryHeads, problem.Shape.QueryLength);
        Check(problem, k, nameof(k), problem.Shape.KeyValueHeads, problem.Shape.KeyLength);
        Check(problem, v, nameof(v), problem.Shape.KeyValueHeads, problem.Shape.KeyLength);
    }

    /// <summary>Flat index of the first element that is NaN, infinite or of magnitude ≥ 2^100; −1 when none.</summary>
    public static long FirstOutside(HostTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        switch (tensor.ElementType)
        {
            case ElementType.Float32:
                var f = tensor.Single;
                for (int i = 0; i < f.Length; i++)
                    if (!(MathF.Abs(f[i]) < MaxMagnitude)) return i; // false for NaN too
                return -1;
            case ElementType.Float16:
                return IndexOfExponentAllOnes(tensor.Bits16, 0x7C00);
            default:
                // BF16 shares float32's exponent: the top 16 bits of the float; 2^100 has biased exponent 227.
                var b = tensor.Bits16;
                for (int i = 0; i < b.Length; i++)
                    if ((b[i] & 0x7F80) >= (227 << 7)) return i;
                return -1;
        }
    }

    // FP16's largest finite value (65504) is far below 2^100, so only inf/NaN (exponent all ones) can be outside.
    private static int IndexOfExponentAllOnes(ReadOnlySpan<ushort> bits, ushort mask)
    {
        for (int i = 0; i < bits.Length; i++)
            if ((bits[i] & mask) == mask) return i;
        return -1;
    }

    private static void Check(AttentionProblem problem, HostTensor t, string name, int heads, int tokens)
    {
        long i = FirstOutside(t);
        if (i < 0) return;
        int d = problem.Shape.HeadDim;
        long c = i % d, rest = i / d;
        long n, h, b;
        if (problem.Layout == TensorLayout.HND) { n = rest % tokens; rest /= tokens; h = rest % heads; b = rest / heads; }
        else { h = rest % heads; rest /= heads; n = rest % tokens; b = rest / tokens; }
        throw new ArgumentException(
            $"Tensor {name} holds {t[i]} at [batch {b}, head {h}, token {n}, channel {c}]; the Sage backends need finite inputs " +
            $"of magnitude below 2^100 (docs/kernel-spec.md §0). Clean or clamp the input, or use the float64 reference.", name);
    }
}
