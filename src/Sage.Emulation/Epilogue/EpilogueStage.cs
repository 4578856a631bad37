namespace Sage.Emulation.Epilogue;

/// <summary>
/// Stage Epilogue (docs/kernel-spec.md §9–10) for one row, given its row sum l (the PV row-sum column,
/// <see cref="Mainloop.RowSumColumn"/>): one exact division per row (r = 1 ⊘ l) and two multiplies per channel, the V
/// mean added back with V smoothing, and the natural-log LSE with the K-smoothing correction. Output rounding is applied
/// by the caller when it writes the tensor.
/// </summary>
public static class EpilogueStage
{
    /// <summary>o[c] = (acc_o[c] ⊗ (1 ⊘ l)) ⊗ v_scale[c]; a row with l = 0 saw no key and is +0.</summary>
    public static void Normalize(ReadOnlySpan<float> accO, float l, ReadOnlySpan<float> valueScales, Span<float> output) =>
        Normalize(accO, l, valueScales, [], output);

    /// <summary>
    /// o[c] = ((acc_o[c] ⊗ r) ⊗ v_scale[c]) ⊕ mean[c] with r = 1 ⊘ l with V smoothing (<paramref name="valueMean"/>
    /// non-empty), without the add otherwise (adding +0 would turn −0 into +0). A row with l = 0 saw no key and is +0: the mean is not added,
    /// because such a row has output 0 by contract whatever V holds.
    /// </summary>
    public static void Normalize(ReadOnlySpan<float> accO, float l, ReadOnlySpan<float> valueScales, ReadOnlySpan<float> valueMean,
        Span<float> output)
    {
        if (l == 0f) { output.Clear(); return; }
        float r = 1f / l;
        for (int c = 0; c < output.Length; c++) output[c] = accO[c] * r * valueScales[c];
        if (valueMean.IsEmpty) return;
        for (int c = 0; c < output.Length; c++) output[c] += valueMean[c];
    }

    /// <summary>
    /// LSE = ((double)base + Log2(l))·ln2 + corr, rounded once to fp32; −∞ when l = 0. corr = sm_scale·Σ_c q[c]·mean[c]
    /// in binary64 (products exact, summed in channel order), 0 without K smoothing.
    /// </summary>
    public static float LogSumExp(float @base, float l, ReadOnlySpan<float> query, ReadOnlySpan<float> keyMean,
        bool smoothK, double softmaxScale)
    {
        if (l == 0f) return float.NegativeInfinity;
        double lse2 = @base + KernelLog2.Evaluate(l);
        double lse = lse2 * KernelConstants.Ln2;
        if (smoothK) lse += softmaxScale * KeyMeanCorrection(query, keyMean);
        return (float)lse;
    }

    /// <summary>Σ_c (double)q[c]·(double)mean[c] in channel order (each product exact in binary64).</summary>
    public static double KeyMeanCorrection(ReadOnlySpan<float> query, ReadOnlySpan<float> keyMean)
    {
        double dot = 0;
        for (int c = 0; c < query.Length; c++) dot += (double)query[c] * keyMean[c];
        return dot;
    }
}
