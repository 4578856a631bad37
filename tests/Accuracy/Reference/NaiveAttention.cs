namespace Sage.Accuracy.Tests.Reference;

/// <summary>
/// Textbook attention written independently of Sage.Reference, to check it on larger problems: the full score
/// matrix of a head, element indexing straight into either layout, the mask applied as −∞, and probabilities
/// formed as exp(s − LSE) with LSE computed separately. Slow and simple on purpose.
/// </summary>
internal static class NaiveAttention
{
    public static (double[] Output, double[] Lse) Compute(AttentionProblem problem, float[] q, float[] k, float[] v)
    {
        var s = problem.Shape;
        var output = new double[q.Length];
        var lse = new double[s.Batch * s.QueryHeads * s.QueryLength];
        int offset = s.KeyLength - s.QueryLength;
        for (int b = 0; b < s.Batch; b++)
            for (int h = 0; h < s.QueryHeads; h++)
            {
                int kvh = h * s.KeyValueHeads / s.QueryHeads;
                var scores = new double[s.QueryLength, s.KeyLength];
                for (int i = 0; i < s.QueryLength; i++)
                    for (int j = 0; j < s.KeyLength; j++)
                    {
                        if (problem.Causal && j > i + offset)
                        {
                            scores[i, j] = double.NegativeInfinity;
                            continue;
                        }
                        double dot = 0;
                        for (int c = 0; c < s.HeadDim; c++)
                            dot += (double)q[Index(problem, s.QueryHeads, s.QueryLength, b, h, i, c)] * k[Index(problem, s.KeyValueHeads, s.KeyLength, b, kvh, j, c)];
                        scores[i, j] = dot * problem.SoftmaxScale;
                    }

                for (int i = 0; i < s.QueryLength; i++)
                {
                    double max = double.NegativeInfinity;
                    for (int j = 0; j < s.KeyLength; j++) max = Math.Max(max, scores[i, j]);
                    int row = (b * s.QueryHeads + h) * s.QueryLength + i;
                    if (double.IsNegativeInfinity(max))
                    {
                        lse[row] = double.NegativeInfinity;
                        continue;
                    }
                    double sum = 0;
                    for (int j = 0; j < s.KeyLength; j++) sum += Math.Exp(scores[i, j] - max);
                    lse[row] = max + Math.Log(sum);
                    for (int c = 0; c < s.HeadDim; c++)
                    {
                        double o = 0;
                        for (int j = 0; j < s.KeyLength; j++)
                            o += Math.Exp(scores[i, j] - lse[row]) * v[Index(problem, s.KeyValueHeads, s.KeyLength, b, kvh, j, c)];
                        output[Index(problem, s.QueryHeads, s.QueryLength, b, h, i, c)] = o;
                    }
                }
            }
        return (output, lse);
    }

    private static int Index(AttentionProblem problem, int heads, int tokens, int b, int h, int t, int c) =>
        problem.Layout == TensorLayout.HND
            ? ((b * heads + h) * tokens + t) * problem.Shape.HeadDim + c
            : ((b * tokens + t) * heads + h) * problem.Shape.HeadDim + c;
}
