using System.Runtime.Intrinsics;

namespace Sage.Emulation.Mainloop;

/// <summary>
/// Stage ScoreDequantization (docs/kernel-spec.md §5.3) and the exp2 arguments of §7.5. Per visible key, with
/// SHIFTER = 1.5·2^23 (<see cref="KernelConstants.ScoreShifter"/>):
/// f = SHIFTER + acc (exact), qk = q_scale ⊗ k_scale, shift = SHIFTER ⊗ qk, bias = −shift (or ΔS ⊖ shift with Q
/// smoothing), S = fma(f, qk, bias) and argument = fma(f, qk, bias ⊖ base); masked and padded keys give −∞ for both.
/// </summary>
/// <remarks>
/// Why the shifter: the kernel turns acc into f with one integer add on its bits (0x4B400000 + acc) and never subtracts
/// SHIFTER again; the rounding of shift moves S by at most ¾·qk, less than one unit of the integer dot product. Why the
/// argument is not S ⊖ base: the kernel folds base into the per-key constant c = bias ⊖ base and spends one fma per
/// score. S itself is only needed for the tile maximum, which the kernel finds on the integer sums (fma with qk ≥ 0 is
/// monotone in f).
/// </remarks>
public static class ScoreDequantization
{
    /// <summary>S for each of the row's keys into <paramref name="scores"/> (one per key; masked keys −∞).</summary>
    /// <remarks>S is the argument for base = +0: x ⊖ (+0) = x for every fp32 x (−0 included), so bias ⊖ 0 is bias.</remarks>
    public static void Dequantize(in ScoreRow row, Span<float> scores) => Evaluate(row, 0f, scores);

    /// <summary>
    /// The exp2 arguments fma(f, qk, bias ⊖ <paramref name="base"/>) of the row's visible keys, −∞ for the others, into
    /// <paramref name="arguments"/> (one per key): P = exp2(argument) (§7.5).
    /// </summary>
    public static void ExponentArguments(in ScoreRow row, float @base, Span<float> arguments) => Evaluate(row, @base, arguments);

    /// <summary>
    /// The scalar definition of one visible key's argument: fma(SHIFTER + acc, qk, bias ⊖ base) (S for base = +0).
    /// The vectorised loop below computes the same operations 16 keys at a time.
    /// </summary>
    public static float Argument(int acc, float queryScale, float keyScale, float deltaS, bool smoothQ, float @base)
    {
        float f = acc + KernelConstants.ScoreShifter;  // exact: an integer below 2^24
        float qk = queryScale * keyScale;
        float shift = KernelConstants.ScoreShifter * qk;
        float bias = smoothQ ? deltaS - shift : -shift;
        return MathF.FusedMultiplyAdd(f, qk, bias - @base);
    }

    private static void Evaluate(in ScoreRow row, float @base, Span<float> destination)
    {
        int n = row.Keys;
        if (destination.Length < n)
            throw new ArgumentException($"destination holds {destination.Length}; expected {n} (one per key).", nameof(destination));
        int visible = row.VisibleKeys;
        var acc = row.Acc;
        var keyScales = row.KeyScales;
        var deltaS = row.DeltaS;
        bool smoothQ = !deltaS.IsEmpty;
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            // f from its bits, as the kernel does (0x4B400000 + acc is SHIFTER + acc for |acc| < 2^22), then the same
            // roundings as Argument: ⊗, ⊗, negation or ⊖, ⊖, one fma.
            var shifterBits = Vector512.Create(KernelConstants.ScoreShifterBits);
            var shifter = Vector512.Create(KernelConstants.ScoreShifter);
            var qs = Vector512.Create(row.QueryScale);
            var b = Vector512.Create(@base);
            for (; j + 16 <= visible; j += 16)
            {
                var f = (Vector512.Create(acc.Slice(j, 16)) + shifterBits).AsSingle();
                var qk = qs * Vector512.Create(keyScales.Slice(j, 16));
                var shift = shifter * qk;
                var bias = smoothQ ? Vector512.Create(deltaS.Slice(j, 16)) - shift : -shift;
                Vector512.FusedMultiplyAdd(f, qk, bias - b).CopyTo(destination.Slice(j, 16));
            }
        }
        for (; j < visible; j++)
            destination[j] = Argument(acc[j], row.QueryScale, keyScales[j], smoothQ ? deltaS[j] : 0f, smoothQ, @base);
        destination.Slice(visible, n - visible).Fill(float.NegativeInfinity);
    }
}
