using Sage.Numerics;

namespace Sage.Cli.Study;

/// <summary>PNG plots of the FP16 accumulation study (ScottPlot 5).</summary>
public static class StudyPlots
{
    /// <summary>Worst-case FP16 block sum over FP16's maximum, against the V bound, one line per block length.</summary>
    public static void Bounds(string path)
    {
        var plt = new ScottPlot.Plot();
        // Every positive E4M3 value from 0.5 to 8: the bounds the kernel could store.
        var bounds = Enumerable.Range(1, 0x7E).Select(c => (double)Fp8E4M3.Decode((byte)c)).Where(x => x is >= 0.5 and <= 8).ToArray();
        foreach (int block in Fp16AccumulationStudy.StudiedBlocks)
        {
            var ratio = bounds.Select(b => Fp16AccumulationStudy.PMax * b * block / Fp16AccumulationStudy.Fp16Max).ToArray();
            var line = plt.Add.Scatter(bounds, ratio);
            line.LegendText = $"{block}-token blocks";
        }
        var limit = plt.Add.HorizontalLine(1.0);
        limit.LegendText = "FP16 max (65504)";
        limit.LinePattern = ScottPlot.LinePattern.Dashed;
        var chosen = plt.Add.VerticalLine(Fp16AccumulationStudy.KernelVBound);
        chosen.LegendText = "V bound 1.125 (our kernel, 128-token blocks)";
        chosen.LinePattern = ScottPlot.LinePattern.Dotted;
        var sage = plt.Add.VerticalLine(Fp16AccumulationStudy.SageAttention2PlusPlusVBound);
        sage.LegendText = "V bound 2.25 (SageAttention2++, 64-token blocks)";
        sage.LinePattern = ScottPlot.LinePattern.Dashed;
        plt.Title("Worst-case FP16 block sum 448·V·block / 65504 (>1 overflows)");
        plt.XLabel("V bound after per-channel scaling (E4M3 values)");
        plt.YLabel("worst-case |block sum| / 65504");
        plt.Axes.SetLimitsY(0, 4);
        plt.ShowLegend();
        plt.SavePng(path, 900, 550);
    }

    /// <summary>Mean accumulation error against sequence length: FP16 vs FP32 per block length (score σ = 1, Gaussian V).</summary>
    public static void Errors(string path, IReadOnlyList<ErrorRow> rows)
    {
        var plt = new ScottPlot.Plot();
        foreach (var group in rows.Where(r => r.ScoreSigma == 1 && r.VDistribution == "gaussian")
                     .GroupBy(r => (r.Accumulator, r.BlockTokens, r.VBound)).OrderBy(g => g.Key.Accumulator).ThenBy(g => g.Key.BlockTokens).ThenBy(g => g.Key.VBound))
        {
            var points = group.Where(r => double.IsFinite(r.MeanAccumulationError) && r.MeanAccumulationError > 0).OrderBy(r => r.SequenceLength).ToArray();
            if (points.Length == 0) continue;
            var line = plt.Add.Scatter(points.Select(r => Math.Log2(r.SequenceLength)).ToArray(),
                points.Select(r => Math.Log10(r.MeanAccumulationError)).ToArray());
            line.LegendText = $"{group.Key.Accumulator}, {group.Key.BlockTokens}-token blocks, V ≤ {group.Key.VBound:G4}";
        }
        plt.Title("P·V accumulation error (added to the FP8 products), score σ = 1, Gaussian V");
        plt.XLabel("log2 sequence length");
        plt.YLabel("log10 mean |acc − Σ p·v| / Σ|p·v|");
        plt.ShowLegend();
        plt.SavePng(path, 900, 550);
    }
}
