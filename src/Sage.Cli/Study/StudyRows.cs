namespace Sage.Cli.Study;

/// <summary>
/// Overflow of the FP16 inner accumulator for one V bound and inner-block length.
/// </summary>
/// <param name="VBound">The V scale bound asked for (|V| after per-channel scaling).</param>
/// <param name="VBoundE4M3">The bound as E4M3 holds it (cvt.rn.satfinite): what the kernel really stores.</param>
/// <param name="BlockTokens">Tokens one FP16 accumulator spans (a chain of BlockTokens/32 k32 wgmma steps).</param>
/// <param name="WorstCaseSum">448 · VBoundE4M3 · BlockTokens: the largest |block sum| any P, V can give.</param>
/// <param name="AdversarialOverflows">Overflowing outputs of the two adversarial rows (P = 448 everywhere, V = ±bound everywhere).</param>
/// <param name="SameSignOverflows">Overflowing outputs among <paramref name="RandomRows"/> flat-attention rows (P near 448) with V uniform in [0, bound].</param>
/// <param name="SoftmaxOverflows">Overflowing outputs among <paramref name="RandomRows"/> softmax rows (scores N(0, 1)) with V uniform in [−bound, bound].</param>
/// <param name="RandomRows">Random rows per family.</param>
public sealed record OverflowRow(double VBound, double VBoundE4M3, int BlockTokens, double WorstCaseSum, int AdversarialOverflows,
    int SameSignOverflows, int SoftmaxOverflows, int RandomRows)
{
    public bool Safe => WorstCaseSum <= 65504 && AdversarialOverflows == 0;
}

/// <summary>The largest E4M3 V bound whose adversarial block sum stays finite, per inner-block length.</summary>
public sealed record SafeBoundRow(int BlockTokens, double LargestSafeBound, double NextE4M3, double ExactLimit);

/// <summary>
/// Accumulation error of one sweep point: mean and max over rows of |acc − Σ p_q·v_q| / Σ|p_q·v_q| (the error the
/// accumulator adds to the already-quantised products) and of the total error against the unquantised Σ p·v, over
/// the rows that did not overflow (NaN when all did); <see cref="Overflows"/> counts those that did. P's codes were
/// formed by <see cref="PEncoding"/> (Fp16AccumulationStudy.PCode), so the total error includes its rounding.
/// <see cref="MeanNormalizedError"/> compares what attention returns, acc·scale / Σ p_q (the row sum over the same codes)
/// against Σ p·v / Σ p, relative to Σ|p·v| / Σ p: an error common to every P cancels there.
/// </summary>
public sealed record ErrorRow(int SequenceLength, double ScoreSigma, string VDistribution, int BlockTokens, string Accumulator,
    double VBound, double MeanAccumulationError, double MaxAccumulationError, double MeanTotalError, double MeanNormalizedError,
    int Overflows, int Rows, PEncoding PEncoding = PEncoding.Exp2);
