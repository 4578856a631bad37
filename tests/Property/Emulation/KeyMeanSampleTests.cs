using Sage.Cli.Commands;
using Sage.Emulation.Preprocessing;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// SmoothK's strided sample (<see cref="KeyMeanTokens.Strided"/>, docs/kernel-spec.md §1): which tokens it takes, that the
/// emulator's KSmoothing sums exactly those in the spec's order, that it is the full mean up to 128 tokens, and that bad
/// values are refused naming them.
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
    public void Every_token_is_the_default(int length)
    {
        Assert.Equal(new KeyMeanSample(length, 1), KeyMeanSample.Of(length, KeyMeanTokens.All));
        Assert.Equal(KeyMeanTokens.All, new SageOptions().KeyMeanTokens);
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
    public void Emulator_sums_the_sampled_tokens_in_order_and_divides_by_their_count(int length, int headDim)
    {
        var random = new Random(length + headDim);
        var keys = new float[length * headDim];
        for (int i = 0; i < keys.Length; i++) keys[i] = (float)(random.NextDouble() * 6 - 3 + (i % headDim) * 0.25);
        var sample = KeyMeanSample.Of(length, KeyMeanTokens.Strided);
        var mean = new float[headDim];
        KSmoothing.ChannelMean(keys, headDim, sample, mean);
        for (int c = 0; c < headDim; c++)
        {
            float chunk = 0f;
            for (int j = 0; j < sample.Count; j++) chunk += keys[j * sample.Step * headDim + c]; // one chunk: ascending, from +0
            float total = 0f + chunk;
            Assert.Equal(BitConverter.SingleToInt32Bits(total / sample.Count), BitConverter.SingleToInt32Bits(mean[c]));
        }
    }

    [Fact]
    public void Emulator_strided_mean_is_the_full_mean_up_to_128_tokens()
    {
        var random = new Random(3);
        var keys = new float[100 * 64];
        for (int i = 0; i < keys.Length; i++) keys[i] = (float)(random.NextDouble() - 0.5);
        var full = new float[64];
        var strided = new float[64];
        KSmoothing.ChannelMean(keys, 100, 64, full);
        KSmoothing.ChannelMean(keys, 64, KeyMeanSample.Of(100, KeyMeanTokens.Strided), strided);
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
