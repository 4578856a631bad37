using Sage.Cli.Commands;
using Sage.Emulation.Preprocessing;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// SmoothK's strided sample (<see cref="KeyMeanTokens.Strided"/>, docs/kernel-spec.md §1): which tokens it takes, that the
/// emulator's KSmoothing trims and sums exactly those in the spec's order, that outliers within the trim and the
/// sample's order do not move it, that it is the full mean up to 128 tokens, and that bad values are refused naming them.
/// </summary>
public class KeyMeanSampleTests
{
    [Theory]
    [InlineData(0, 0, 1)]
    [InlineData(1, 1, 1)]
    [InlineData(128, 128, 1)]
    [InlineData(129, 128, 1)]  // the first 128 tokens
    [InlineData(255, 128, 1)]
    [InlineData(256, 128, 2)]
    [InlineData(1000, 128, 7)] // tokens 0 … 889
    [InlineData(2048, 128, 16)]
    [InlineData(16384, 128, 128)]
    public void Strided_sample_takes_128_tokens_spread_over_the_head(int length, int count, int step)
    {
        var sample = KeyMeanSample.Of(length, KeyMeanTokens.Strided);
        Assert.Equal(new KeyMeanSample(count, step), sample);
        Assert.True((long)(count - 1) * step < Math.Max(1, length)); // every sampled token is a real one
        Assert.Equal(length <= 128, sample.IsEveryToken(length));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(300)]
    [InlineData(5000)]
    public void All_is_every_token_and_the_strided_sample_is_the_default(int length)
    {
        Assert.Equal(new KeyMeanSample(length, 1), KeyMeanSample.Of(length, KeyMeanTokens.All));
        // Since session 40 SageOptions' default is the trimmed strided mean; SageOptions.Default is the same options.
        Assert.Equal(KeyMeanTokens.Strided, new SageOptions().KeyMeanTokens);
        Assert.Equal(KeyMeanTokens.Strided, SageOptions.Default.KeyMeanTokens);
        Assert.Equal(length <= KeyMeanSample.MaxTokens, KeyMeanSample.Of(length, new SageOptions().KeyMeanTokens).IsEveryToken(length));
    }

    [Fact]
    public void Bad_values_are_refused_naming_them()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => KeyMeanSample.Of(-1, KeyMeanTokens.Strided));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => KeyMeanSample.Of(10, (KeyMeanTokens)7));
        Assert.Equal("tokens", e.ParamName);
        var problem = new AttentionProblem(new AttentionShape(1, 1, 1, 64, 64, 128));
        var v = Assert.Throws<ArgumentOutOfRangeException>(() => new SageOptions { KeyMeanTokens = (KeyMeanTokens)7 }.Validate(problem));
        Assert.Equal(nameof(SageOptions.KeyMeanTokens), v.ParamName);
    }

    [Theory]
    [InlineData(2048, 128)]
    [InlineData(1000, 64)]
    [InlineData(300, 128)]
    [InlineData(129, 64)] // the first 128 tokens, still trimmed: the sample is not every token
    public void Emulator_trims_the_sorted_sample_and_sums_the_kept_groups_as_the_spec_says(int length, int headDim)
    {
        var random = new Random(length + headDim);
        var keys = new float[length * headDim];
        for (int i = 0; i < keys.Length; i++) keys[i] = (float)(random.NextDouble() * 6 - 3 + (i % headDim) * 0.25);
        for (int i = 0; i < keys.Length; i += 7) keys[i] = (i & 8) == 0 ? 0f : -0f; // signed zeros and ties
        var sample = KeyMeanSample.Of(length, KeyMeanTokens.Strided);
        var mean = new float[headDim];
        KSmoothing.KeyMean(keys, length, headDim, KeyMeanTokens.Strided, mean);
        for (int c = 0; c < headDim; c++)
        {
            // §1, written out with its own totalOrder comparison (value, then −0 before +0).
            var sorted = Enumerable.Range(0, sample.Count).Select(i => keys[i * sample.Step * headDim + c])
                .Order(Comparer<float>.Create(TotalOrder)).ToArray();
            var p = new float[8];
            for (int g = 1; g <= 6; g++)
            {
                p[g] = 0f;
                for (int r = 0; r < 16; r++) p[g] += sorted[16 * g + r];
            }
            float total = ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
            Assert.Equal(BitConverter.SingleToInt32Bits(total / 96f), BitConverter.SingleToInt32Bits(mean[c]));
        }
    }

    [Fact]
    public void Trimmed_mean_does_not_move_for_16_outliers_on_each_side_of_the_sample()
    {
        const int length = 2048, headDim = 64;
        var random = new Random(11);
        var keys = new float[length * headDim];
        for (int i = 0; i < keys.Length; i++) keys[i] = (float)(random.NextDouble() * 2 - 1 + (i % headDim) * 0.5);
        var before = new float[headDim];
        KSmoothing.KeyMean(keys, length, headDim, KeyMeanTokens.Strided, before);
        // Per channel, the sample tokens (multiples of 16) holding its 16 largest values become huge positive keys and those
        // holding its 16 smallest −1000 (below every ordinary value), all inside the input domain: outliers the trim removes.
        for (int c = 0; c < headDim; c++)
        {
            var bySize = Enumerable.Range(0, 128).OrderBy(i => keys[i * 16 * headDim + c]).ThenBy(i => i).ToArray();
            for (int j = 0; j < 16; j++)
            {
                keys[bySize[j] * 16 * headDim + c] = -1e3f;
                keys[bySize[127 - j] * 16 * headDim + c] = 1e30f;
            }
        }
        var after = new float[headDim];
        KSmoothing.KeyMean(keys, length, headDim, KeyMeanTokens.Strided, after);
        Assert.Equal(before, after);
        // The untrimmed mean of the same sample is carried away by them (as an attention sink carried it before session 39).
        var sampleMean = new float[headDim];
        KSmoothing.ChannelMean(Enumerable.Range(0, 128).SelectMany(i => keys.AsSpan(i * 16 * headDim, headDim).ToArray()).ToArray(), 128, headDim, sampleMean);
        Assert.All(sampleMean, m => Assert.True(m > 1e28f, $"{m}"));
    }

    [Fact]
    public void Trimmed_mean_does_not_depend_on_where_in_the_sample_a_value_sits()
    {
        const int length = 4096, headDim = 64, step = 32;
        var random = new Random(5);
        var keys = new float[length * headDim];
        for (int i = 0; i < keys.Length; i++) keys[i] = (float)(random.NextDouble() * 8 - 4);
        var first = new float[headDim];
        KSmoothing.KeyMean(keys, length, headDim, KeyMeanTokens.Strided, first);
        var permutation = Enumerable.Range(0, 128).OrderBy(_ => random.Next()).ToArray();
        var shuffled = (float[])keys.Clone();
        for (int i = 0; i < 128; i++)
            Array.Copy(keys, permutation[i] * step * headDim, shuffled, i * step * headDim, headDim);
        var second = new float[headDim];
        KSmoothing.KeyMean(shuffled, length, headDim, KeyMeanTokens.Strided, second);
        Assert.Equal(first, second);
    }

    [Fact]
    public void Total_order_keys_order_binary32_with_negative_zero_first_and_invert()
    {
        float[] ascending = [float.NegativeInfinity, -3e38f, -1f, -float.Epsilon, -0f, 0f, float.Epsilon, 1f, 3e38f, float.PositiveInfinity];
        for (int i = 0; i + 1 < ascending.Length; i++)
            Assert.True(KSmoothing.TotalOrderKey(ascending[i]) < KSmoothing.TotalOrderKey(ascending[i + 1]), $"{ascending[i]} < {ascending[i + 1]}");
        foreach (var x in ascending)
            Assert.Equal(BitConverter.SingleToInt32Bits(x), BitConverter.SingleToInt32Bits(KSmoothing.TotalOrderValue(KSmoothing.TotalOrderKey(x))));
    }

    private static int TotalOrder(float a, float b) =>
        a < b ? -1 : a > b ? 1 : (float.IsNegative(b) ? 1 : 0) - (float.IsNegative(a) ? 1 : 0);

    [Fact]
    public void Emulator_strided_mean_is_the_full_mean_up_to_128_tokens()
    {
        var random = new Random(3);
        var keys = new float[100 * 64];
        for (int i = 0; i < keys.Length; i++) keys[i] = (float)(random.NextDouble() - 0.5);
        var full = new float[64];
        var strided = new float[64];
        KSmoothing.ChannelMean(keys, 100, 64, full);
        KSmoothing.KeyMean(keys, 100, 64, KeyMeanTokens.Strided, strided);
        Assert.Equal(full, strided);
    }

    [Fact]
    public void Bench_takes_the_option_for_the_sequence_table_only()
    {
        Assert.True(new BenchCommand.Settings { KeyMean = KeyMeanTokens.Strided }.Validate().Successful);
        var e = new BenchCommand.Settings { KeyMean = KeyMeanTokens.Strided, Modes = "all" }.Validate();
        Assert.False(e.Successful);
        Assert.Contains("--key-mean", e.Message);
    }
}
