using System.Globalization;
using System.Text;

namespace Sage.Cli.Study;

/// <summary>The study's tables as markdown.</summary>
public static class StudyMarkdown
{
    public static string Write(IReadOnlyList<OverflowRow> overflow, IReadOnlyList<SafeBoundRow> safe, IReadOnlyList<ErrorRow> errors,
        PEncoding encoding = PEncoding.Exp2)
    {
        var md = new StringBuilder();
        md.AppendLine("# FP16 accumulation of P·V (sage study fp16-accum)");
        md.AppendLine();
        md.AppendLine("Tensor-core models: wgmma.e4m3.f16 and wgmma.e4m3.f32, verified bit for bit on an H100 (docs/tensor-core-numerics.md).");
        md.AppendLine("P = 448·exp(s − max) in E4M3; V scaled per channel to [−bound, bound] in E4M3; each inner block of tokens is a");
        md.AppendLine("chain of k32 instructions into a zero accumulator, block results added in FP32.");
        md.AppendLine(encoding == PEncoding.LogLinear
            ? "P encoding LogLinear: each code read off its argument, z = fma(S ⊖ base, 8, 55.5) with the base rounded toward +∞, as the kernel's two-step rule (docs/kernel-spec.md §7)."
            : "P encoding Exp2: each P rounded to the nearest E4M3 (the kernel's MUFU.EX2 is within 2 ulp of fp32 of the exact value).");
        md.AppendLine();
        md.AppendLine("## Largest safe V bound per inner-block length");
        md.AppendLine();
        md.AppendLine("| block tokens | largest E4M3 bound that never overflows | next E4M3 value (overflows) | 65504 / (448·block) |");
        md.AppendLine("|---|---|---|---|");
        foreach (var r in safe)
            md.AppendLine(Inv($"| {r.BlockTokens} | {r.LargestSafeBound:G6} | {r.NextE4M3:G6} | {r.ExactLimit:F4} |"));
        md.AppendLine();
        md.AppendLine("The kernel keeps one FP16 accumulator per 128-token K tile (docs/kernel-spec.md §8), so its V bound is 1.125:");
        md.AppendLine("448 · 1.125 · 128 = 64512 ≤ 65504, while the next E4M3 value 1.25 gives 71680. A bound between them (such as the");
        md.AppendLine("exact 65504/(448·128) = 1.1423) is stored as E4M3 1.125 anyway, so 1.125 is the largest safe bound for 128-token blocks.");
        md.AppendLine("SageAttention2++'s 2.25 is the same bound for 64-token blocks (448 · 2.25 · 64 = 64512) and overflows a 128-token block.");
        md.AppendLine();
        md.AppendLine("## Overflow counts (FP16 accumulator)");
        md.AppendLine();
        md.AppendLine("| V bound | as E4M3 | block | worst-case sum | adversarial (of 2) | flat P, same-sign V | softmax P, symmetric V | safe |");
        md.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var r in overflow)
            md.AppendLine(Inv($"| {r.VBound:G5} | {r.VBoundE4M3:G5} | {r.BlockTokens} | {r.WorstCaseSum:F0} | {r.AdversarialOverflows} | {r.SameSignOverflows} / {r.RandomRows} | {r.SoftmaxOverflows} / {r.RandomRows} | {(r.Safe ? "yes" : "no")} |"));
        md.AppendLine();
        md.AppendLine("## Accumulation error, FP16 (V bound 2.25; the kernel's 1.125 on 128-token blocks) vs FP32 (V bound 448)");
        md.AppendLine();
        md.AppendLine("Accumulation error = |acc − Σ p_q·v_q| / Σ|p_q·v_q| (what the accumulator adds to the FP8 products);");
        md.AppendLine("total error = |acc·scale − Σ p·v| / Σ|p·v| against unquantised P and V; normalised error = |acc·scale / Σ p_q − Σ p·v / Σ p|");
        md.AppendLine("/ (Σ|p·v| / Σ p), the output attention returns (divided by the row sum of the same codes). Means over the rows that did not overflow.");
        md.AppendLine();
        md.AppendLine("| N | score σ | V | block | acc | V bound | mean acc. error | max acc. error | mean total error | mean normalised error | overflows |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in errors)
            md.AppendLine(Inv($"| {r.SequenceLength} | {r.ScoreSigma} | {r.VDistribution} | {r.BlockTokens} | {r.Accumulator} | {r.VBound:G5} | {r.MeanAccumulationError:E2} | {r.MaxAccumulationError:E2} | {r.MeanTotalError:E2} | {r.MeanNormalizedError:E2} | {r.Overflows} / {r.Rows} |"));
        return md.ToString();
    }

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
