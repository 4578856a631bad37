using FsCheck;
using FsCheck.Fluent;
using Sage.Cuda;
using Xunit;

namespace Sage.Gpu.Tests.Attention;

/// <summary>
/// FsCheck property of issue 5: 1000 random problems (shapes, every supported mode and option, odd lengths, GQA, causal,
/// biased and heavy-tailed data, <see cref="AttentionCase.Random"/>) with zero mismatching output and LSE bits.
/// Checked from a [Fact] so that it can skip without a GPU (Assert.Skip inside a [Property] counts as a falsification);
/// a failure reports the shrunk seed and the first differing element.
/// </summary>
public sealed class AttentionBitExactProperties(ITestOutputHelper output)
{
    [Fact]
    public void Random_problems_give_the_emulators_bits()
    {
        using var context = AttentionGpu.ContextOrSkip();
        using var gpu = new CudaAttention(context);
        int problems = 0, smoothQ = 0, smoothV = 0;
        long elements = 0;
        var seeds = Gen.Choose(5000, 10_000_000).ToArbitrary(); // away from the sweep's seeds
        var property = Prop.ForAll(seeds, seed =>
        {
            var c = AttentionCase.Random(seed);
            var cmp = AttentionBitExactTests.RunCase(gpu, c);
            problems++;
            if (c.SmoothQ) smoothQ++;
            if (c.SmoothV) smoothV++;
            elements += cmp.ElementsCompared;
            if (cmp.Mismatches != 0) throw new InvalidOperationException(cmp.Summary(c.ToString()));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000), property);
        string line = $"FsCheck property: {problems} random problems ({smoothQ} with SmoothQ, {smoothV} with SmoothV), {elements} elements compared, " +
                      $"0 mismatches ({context.Device.Name})";
        output.WriteLine(line);
        AttentionGpu.Report(line);
    }
}
