namespace Sage;

/// <summary>
/// The input domain of the quantised (Sage) backends, docs/kernel-spec.md §0: every element finite and of
/// magnitude below 2^100, and scores bounded: max|Q|·max|K|·d·sm_scale·log2(e) below 2^100. Outside it the kernel's
/// arithmetic would turn values into inf/NaN (a NaN element would be silently dropped by the GPU's NaN-ignoring max.f32
/// while the emulator propagated it; scores past the bound overflow the fp32 scale product, and every output turns NaN),
/// so the host APIs refuse such input up front with an exception naming the tensor, the element and its value, or the
/// magnitudes and the bound. The float64 reference has no such limit: it follows IEEE arithmetic (NaN propagates) and
/// says so.
/// </summary>
public static class SageInputDomain
{
    /// <summary>Largest magnitude (exclusive) an input element may have: 2^100.</summary>
    public const float MaxMagnitude = 1.2676506e30f; // 2^100, exact in float32

    /// <summary>
    /// Largest (exclusive) score bound max|Q|·max|K|·d·sm_scale·log2(e): 2^100. Why: a score is at most twice that bound
    /// (K smoothing at most doubles a magnitude), and the kernel forms SHIFTER ⊗ qk_scale with
    /// qk_scale ≤ 2·bound/(d·7²) (INT4; INT8 divides by 127²): both stay far below fp32's 2^128 here, and far above
    /// anything attention data reaches (a score of 2^100 in log2 units is a one-hot softmax long before).
    /// </summary>
    public const double MaxScoreBound = 1.2676506002282294e30; // 2^100

    /// <summary>Throws an ArgumentException for the first element of Q, K or V outside the domain, or for scores past
    /// <see cref="MaxScoreBound"/>.</summary>
    public static void Require(AttentionProblem problem, HostTensor q, HostTensor k, HostTensor v)
    {
        ArgumentNullException.ThrowIfNull(problem);
        float qMax = Check(problem, q, nameof(q), problem.Shape.QueryHeads, problem.Shape.QueryLength);
        float kMax = Check(problem, k, nameof(k), problem.Shape.KeyValueHeads, problem.Shape.KeyLength);
        Check(problem, v, nameof(v), problem.Shape.KeyValueHeads, problem.Shape.KeyLength);
        RequireBoundedScores(problem, qMax, kMax);
    }

    /// <summary>max|Q|·max|K|·d·sm_scale·log2(e): what the problem's scores (in log2 units) can reach, up to smoothing.</summary>
    public static double ScoreBound(AttentionProblem problem, double maxAbsQ, double maxAbsK)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return maxAbsQ * maxAbsK * problem.Shape.HeadDim * problem.SoftmaxScale * 1.4426950408889634;
    }

    /// <summary>
    /// Throws an ArgumentException (parameter "q") when <see cref="ScoreBound"/> reaches <see cref="MaxScoreBound"/>:
    /// <paramref name="maxAbsQ"/> and <paramref name="maxAbsK"/> are the largest element magnitudes of Q and K.
    /// </summary>
    public static void RequireBoundedScores(AttentionProblem problem, double maxAbsQ, double maxAbsK)
    {
        double bound = ScoreBound(problem, maxAbsQ, maxAbsK);
        if (bound < MaxScoreBound) return;
        throw new ArgumentException(
            $"Q and K reach max|Q| = {maxAbsQ:G6} and max|K| = {maxAbsK:G6}: with head dim {problem.Shape.HeadDim} and softmax scale " +
            $"{problem.SoftmaxScale:G6} their scores can reach max|Q|·max|K|·d·sm_scale·log2(e) = {bound:G3}, at or past the Sage " +
            $"backends' 2^100, beyond which the kernel's fp32 score scales overflow and every output would turn NaN " +
            $"(docs/kernel-spec.md §0). Scale the inputs down or use the float64 reference.", "q");
    }

    /// <summary>The largest |x| of a tensor's elements: NaN or ∞ when an element is NaN or infinite (0 for an empty tensor).</summary>
    public static float LargestMagnitude(HostTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.ElementType == ElementType.Float32)
            return tensor.Single.Length == 0 ? 0f : MathF.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(tensor.Single));
        // FP16 and BF16: without the sign bit, finite patterns order as their magnitudes. Vectorised: the host APIs run
        // this over all of Q and K before every call.
        ReadOnlySpan<ushort> bits = tensor.Bits16;
        var mask = new System.Numerics.Vector<ushort>(0x7FFF);
        var lanes = System.Numerics.Vector<ushort>.Zero;
        int i = 0;
        for (; i + System.Numerics.Vector<ushort>.Count <= bits.Length; i += System.Numerics.Vector<ushort>.Count)
            lanes = System.Numerics.Vector.Max(lanes, new System.Numerics.Vector<ushort>(bits.Slice(i)) & mask);
        ushort largest = 0;
        for (int l = 0; l < System.Numerics.Vector<ushort>.Count; l++) largest = Math.Max(largest, lanes[l]);
        for (; i < bits.Length; i++) largest = Math.Max(largest, (ushort)(bits[i] & 0x7FFF));
        return tensor.ElementType == ElementType.Float16
            ? (float)BitConverter.UInt16BitsToHalf(largest)
            : BitConverter.Int32BitsToSingle(largest << 16);
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

    // One vectorised pass gives the largest magnitude, which the score bound needs too; it is NaN or ≥ 2^100 exactly when
    // some element is outside (for FP16 and BF16 the bit patterns of NaN and ∞ order above every finite magnitude), and
    // only then does the element-wise scan run, for the exception naming the element. Returns the largest magnitude.
    private static float Check(AttentionProblem problem, HostTensor t, string name, int heads, int tokens)
    {
        float largest = LargestMagnitude(t);
        if (largest < MaxMagnitude) return largest; // false for NaN
        long i = FirstOutside(t);
        if (i < 0) return largest;
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
