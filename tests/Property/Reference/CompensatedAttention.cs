using Sage.Reference;

namespace Sage.Property.Tests.Reference;

/// <summary>
/// Attention written as plainly as possible, one row and one channel at a time, with every sum compensated
/// (Neumaier) and scalar Math.Exp: slow, but independent of the reference's tiling, packing, vector kernels and
/// summation order, and more accurate than any of them. The yardstick for the reference's float64-grade accuracy.
/// </summary>
internal static class CompensatedAttention
{
    public static (double[] Output, double[] Lse) Compute(AttentionCase c)
    {
        var s = c.Shape;
        var output = new double[c.Q.Length];
        var lse = new double[s.Batch * s.QueryHeads * s.QueryLength];
        var scores = new double[s.KeyLength];
        for (int b = 0; b < s.Batch; b++)
            for (int h = 0; h < s.QueryHeads; h++)
                for (int row = 0; row < s.QueryLength; row++)
                {
                    int kv = h / s.GroupSize, visible = Math.Max(0, c.Problem.LastVisibleKey(row) + 1);
                    int at = (b * s.QueryHeads + h) * s.QueryLength + row;
                    if (visible == 0)
                    {
                        lse[at] = double.NegativeInfinity;
                        continue;
                    }
                    double max = double.NegativeInfinity;
                    for (int j = 0; j < visible; j++)
                    {
                        var dot = new Neumaier();
                        for (int ch = 0; ch < s.HeadDim; ch++)
                            dot.Add((double)c.Q[c.QueryIndex(b, h, row, ch)] * c.K[c.KeyIndex(b, kv, j, ch)]); // exact product
                        scores[j] = dot.Value * c.Problem.SoftmaxScale;
                        max = Math.Max(max, scores[j]);
                    }
                    var sum = new Neumaier();
                    for (int j = 0; j < visible; j++)
                    {
                        scores[j] = Math.Exp(scores[j] - max);
                        sum.Add(scores[j]);
                    }
                    lse[at] = max + Math.Log(sum.Value);
                    for (int ch = 0; ch < s.HeadDim; ch++)
                    {
                        var weighted = new Neumaier();
                        for (int j = 0; j < visible; j++)
                            {
                            double value = c.V[c.KeyIndex(b, kv, j, ch)];
                            weighted.Add(scores[j] * value, scores[j], value);
                        }
                        output[c.QueryIndex(b, h, row, ch)] = weighted.Value / sum.Value;
                    }
                }
        return (output, lse);
    }

    /// <summary>Neumaier's compensated sum: the error of a sum of n terms stays O(ε) instead of O(nε).</summary>
    private struct Neumaier
    {
        private double _sum, _compensation;

        public readonly double Value => _sum + _compensation;

        public void Add(double x)
        {
            double t = _sum + x;
            _compensation += Math.Abs(_sum) >= Math.Abs(x) ? (_sum - t) + x : (x - t) + _sum;
            _sum = t;
        }

        /// <summary>Adds the product a·b, given as its rounded value plus the exact rounding error (an fma recovers it).</summary>
        public void Add(double rounded, double a, double b)
        {
            Add(rounded);
            Add(Math.FusedMultiplyAdd(a, b, -rounded));
        }
    }
}
