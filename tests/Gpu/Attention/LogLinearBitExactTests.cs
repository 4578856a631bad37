using Sage.Cuda;
using Sage.Emulation;
using Sage.Reference;
using Xunit;

namespace Sage.Gpu.Tests.Attention;

/// <summary>
/// PEncoding.LogLinear (docs/kernel-spec.md §7.5, §7.8: P codes read off their arguments, attention_solo_loglinear.cu)
/// against EmulatedAttention, every output and LSE bit, zero mismatches allowed: the fixed set of AttentionBitExactTests
/// (both head dims, every PV mode, Q/V smoothing, causal, GQA, odd and empty lengths), a random sweep, data scaled so far
/// that every key takes the two-step rule with huge scores, inputs at the top of the domain (scores near 2^80), and the
/// refusal of inputs past it. The
/// shared CTA and the mixed-rule warps are in MainLoopCtaTests and FusedOffsetRuleTests.
/// </summary>
public sealed class LogLinearBitExactTests(ITestOutputHelper output)
{
    public static TheoryData<int> FixedIndices => new(Enumerable.Range(0, AttentionCase.Fixed.Count));

    [Theory]
    [MemberData(nameof(FixedIndices))]
    public void Fixed_cases_match_the_emulator_bit_for_bit(int caseIndex)
    {
        var c = AttentionCase.Fixed[caseIndex] with { P = PEncoding.LogLinear };
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(context);
        var cmp = AttentionBitExactTests.RunCase(gpu, c);
        string line = cmp.Summary(c.ToString()) + $" ({context.Device.Name})";
        output.WriteLine(line);
        AttentionGpu.Report(line);
        Assert.True(cmp.Mismatches == 0, line);
    }

    [Fact]
    public void Random_sweep_of_60_problems_matches_the_emulator_bit_for_bit()
    {
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(context);
        const int count = 60;
        long elements = 0, mismatches = 0;
        var failures = new List<string>();
        for (int i = 0; i < count; i++)
        {
            var c = AttentionCase.Random(500 + i) with { P = PEncoding.LogLinear };
            var cmp = AttentionBitExactTests.RunCase(gpu, c);
            elements += cmp.ElementsCompared;
            mismatches += cmp.Mismatches;
            if (cmp.Mismatches > 0) failures.Add(cmp.Summary(c.ToString()));
        }
        string line = $"log-linear random sweep: {count} problems, {elements} elements compared, {mismatches} mismatches in {failures.Count} problems ({context.Device.Name})";
        output.WriteLine(line);
        AttentionGpu.Report(line);
        foreach (string f in failures.Take(10)) { output.WriteLine(f); AttentionGpu.Report("  " + f); }
        Assert.True(failures.Count == 0, line + "\n" + string.Join("\n", failures.Take(5)));
    }

    /// <summary>Q and K scaled by 2^12 (FP32 inputs): qk far above 2^−7, so every key takes the two-step rule, with scores near 2^20.</summary>
    [Theory]
    [InlineData(PvAccumulation.Fp16TwoLevel)]
    [InlineData(PvAccumulation.Fp32)]
    public void Huge_magnitudes_match_the_emulator_bit_for_bit(PvAccumulation pv)
    {
        var problem = new AttentionProblem(new AttentionShape(1, 2, 2, 150, 260, 128), TensorLayout.HND, causal: true, returnLse: true);
        var x = SyntheticData.GenerateInputs(problem, DataFamily.HeavyTail, ElementType.Float32, seed: 5);
        var inputs = new AttentionInputs(Scaled(x.Q, 4096f), Scaled(x.K, 4096f), x.V);
        AttentionGpu.AssertMatchesEmulator(output, problem, inputs, new SageOptions { PvAccumulation = pv, PEncoding = PEncoding.LogLinear }, $"huge magnitudes {pv}");
    }

    /// <summary>
    /// Q and K near the top of the input domain (Gaussian FP32 times 2^40: max|Q|·max|K|·d·sm_scale·log2(e) ≈ 2^87, below
    /// SageInputDomain's 2^100): every key on the two-step rule with scores near 2^80, where the base's float grid is far
    /// coarser than a code step (the base rounded toward +∞ keeps every code at most 126). Every output and LSE bit.
    /// </summary>
    [Fact]
    public void Largest_magnitudes_of_the_domain_match_the_emulator_bit_for_bit()
    {
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, 70, 140, 64), TensorLayout.HND, causal: false, returnLse: true);
        var x = SyntheticData.GenerateInputs(problem, DataFamily.Gaussian, ElementType.Float32, seed: 9);
        var inputs = new AttentionInputs(Scaled(x.Q, 1.0995116e12f /* 2^40 */), Scaled(x.K, 1.0995116e12f), x.V);
        AttentionGpu.AssertMatchesEmulator(output, problem, inputs, new SageOptions { PEncoding = PEncoding.LogLinear }, "largest magnitudes of the domain");
    }

    /// <summary>Past the score bound (Q and K times 2^50) the CUDA backend refuses the call, as the emulator does, before any kernel.</summary>
    [Fact]
    public void Scores_past_the_domain_are_refused()
    {
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, 70, 140, 64), TensorLayout.HND, causal: false);
        var x = SyntheticData.GenerateInputs(problem, DataFamily.Gaussian, ElementType.Float32, seed: 9);
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(context);
        var e = Assert.Throws<ArgumentException>(() =>
            gpu.Run(problem, Scaled(x.Q, 1.1258999e15f /* 2^50 */), Scaled(x.K, 1.1258999e15f), x.V, new SageOptions { PEncoding = PEncoding.LogLinear }));
        Assert.Equal("q", e.ParamName);
        output.WriteLine(e.Message);
    }

    private static HostTensor Scaled(HostTensor t, float factor)
    {
        var a = t.ToSingleArray();
        for (int i = 0; i < a.Length; i++) a[i] *= factor;
        return HostTensor.Create(ElementType.Float32, a, [.. t.Shape]);
    }
}
