using FsCheck.Xunit;
using Sage.Emulation.Epilogue;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>docs/kernel-spec.md §9 steps 2-4: r = 1 ⊘ l once per row, o = (acc_o ⊗ r) ⊗ v_scale (⊕ mean).</summary>
public class EpilogueStageTests
{
    [Property(MaxTest = 300)]
    public bool Normalize_multiplies_by_the_rounded_reciprocal_then_the_scale(int seed)
    {
        var rng = new Random(seed);
        const int d = 64;
        var acc = new float[d];
        var scales = new float[d];
        var mean = new float[d];
        for (int c = 0; c < d; c++)
        {
            acc[c] = (float)((rng.NextDouble() - 0.5) * Math.Pow(2, rng.Next(-20, 25)));
            scales[c] = (float)(rng.NextDouble() * Math.Pow(2, rng.Next(-12, 4)));
            mean[c] = (float)(rng.NextDouble() - 0.5);
        }
        float l = (float)(448 * (1 + rng.NextDouble() * rng.Next(1, 100000)));
        var plain = new float[d];
        var smoothed = new float[d];
        EpilogueStage.Normalize(acc, l, scales, plain);
        EpilogueStage.Normalize(acc, l, scales, mean, smoothed);
        float r = 1f / l;
        for (int c = 0; c < d; c++)
        {
            float expected = (float)((double)(float)((double)acc[c] * r) * scales[c]); // each product rounded to fp32
            if (BitConverter.SingleToInt32Bits(plain[c]) != BitConverter.SingleToInt32Bits(expected)) return false;
            if (BitConverter.SingleToInt32Bits(smoothed[c]) != BitConverter.SingleToInt32Bits(expected + mean[c])) return false;
        }
        return true;
    }

    [Fact]
    public void A_row_that_saw_no_key_is_positive_zero_even_with_a_mean()
    {
        var output = new float[] { 1f, -1f, 2f };
        EpilogueStage.Normalize([3f, -0f, 5f], 0f, [1f, 1f, 1f], [7f, 7f, 7f], output);
        Assert.All(output, o => Assert.Equal(0, BitConverter.SingleToInt32Bits(o)));
    }
}
