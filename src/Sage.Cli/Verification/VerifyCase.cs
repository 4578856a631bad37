using Sage.Reference;

namespace Sage.Cli.Verification;

/// <summary>One built-in data set: a problem and the family its Q, K, V are drawn from.</summary>
public sealed record VerifyCase(string Name, AttentionProblem Problem, DataFamily Family, int Seed)
{
    /// <summary>
    /// Every family on a grouped-query problem of <paramref name="sequenceLength"/> tokens, plus a causal problem
    /// with unequal, non-tile-multiple lengths and head dim 64 so that masking, tails and alignment are exercised.
    /// </summary>
    public static IReadOnlyList<VerifyCase> BuiltIn(int sequenceLength)
    {
        var main = new AttentionProblem(new AttentionShape(1, 4, 2, sequenceLength, sequenceLength, 128), returnLse: true);
        int nq = Math.Max(1, sequenceLength * 3 / 4 + 5), nk = sequenceLength + 37;
        var causal = new AttentionProblem(new AttentionShape(1, 2, 1, nq, nk, 64), TensorLayout.NHD, causal: true, returnLse: true);
        return
        [
            new("gaussian", main, DataFamily.Gaussian, 11),
            new("k bias", main, DataFamily.KChannelBias, 12),
            new("v bias", main, DataFamily.VChannelBias, 13),
            new("t3 tails", main, DataFamily.HeavyTail, 14),
            new($"causal d64 {nq}x{nk}", causal, DataFamily.Gaussian, 15),
        ];
    }
}
