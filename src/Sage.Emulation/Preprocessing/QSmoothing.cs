namespace Sage.Emulation.Preprocessing;

/// <summary>
/// Stage QSmoothing (docs/kernel-spec.md §2): per 64-row warpgroup block, the mean of Q's real rows, Q − mean, and
/// the score correction ΔS = mean(Q_blk)·K̃ᵀ in log2 units, computed in fp32 from the unquantised smoothed K.
/// </summary>
public static class QSmoothing
{
    /// <summary>Mean over <paramref name="rows"/> real rows (row-major) and subtracts it in place; writes the mean.</summary>
    public static void SmoothBlock(Span<float> block, int rows, int headDim, Span<float> mean)
    {
        mean.Slice(0, headDim).Clear();
        if (rows == 0) return;
        for (int r = 0; r < rows; r++)
        {
            var row = block.Slice(r * headDim, headDim);
            for (int c = 0; c < headDim; c++) mean[c] += row[c];
        }
        float n = rows;
        for (int c = 0; c < headDim; c++) mean[c] /= n;
        for (int r = 0; r < rows; r++)
        {
            var row = block.Slice(r * headDim, headDim);
            for (int c = 0; c < headDim; c++) row[c] -= mean[c];
        }
    }

    /// <summary>
    /// ΔS for the key tokens of one K tile: dot = fma chain over channels 0..d−1 from 0, then × LOG2E_SCALE.
    /// Tokens past <paramref name="realTokens"/> get 0 (they are masked).
    /// </summary>
    public static void ScoreCorrection(ReadOnlySpan<float> mean, ReadOnlySpan<float> smoothedKeys, int realTokens,
        int headDim, float softmaxScaleLog2, Span<float> deltaS)
    {
        for (int j = 0; j < deltaS.Length; j++)
        {
            if (j >= realTokens) { deltaS[j] = 0f; continue; }
            var key = smoothedKeys.Slice(j * headDim, headDim);
            float dot = 0f;
            for (int c = 0; c < headDim; c++) dot = MathF.FusedMultiplyAdd(mean[c], key[c], dot);
            deltaS[j] = dot * softmaxScaleLog2;
        }
    }
}
