using Sage.Cuda.Benchmarking;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// The benchmark's problem: the shape `sage bench` times (B, H, N, d, HND or with `--layout NHD` NHD, causal) and, with
/// `--lse`, a problem that returns the LSE, so that the pre-processing forms the SmoothK correction and the main loop
/// writes the LSE.
/// </summary>
public class BenchmarkCaseTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Problem_carries_the_case(bool causal, bool lse)
    {
        var c = new BenchmarkCase(4, 32, 2048, 128, causal, SageOptions.Default, lse);
        var problem = c.Problem;
        Assert.Equal(new AttentionShape(4, 32, 32, 2048, 2048, 128), problem.Shape);
        Assert.Equal(TensorLayout.HND, problem.Layout);
        Assert.Equal(causal, problem.Causal);
        Assert.Equal(lse, problem.ReturnLse);
        Assert.Equal(4.0 * 4 * 32 * 2048.0 * 2048 * 128 * (causal ? 0.5 : 1.0), c.Flops);
    }

    [Fact]
    public void Layout_is_hnd_unless_asked()
    {
        Assert.Equal(TensorLayout.HND, new BenchmarkCase(1, 1, 64, 64, false, SageOptions.Default).Problem.Layout);
        var nhd = new BenchmarkCase(2, 8, 1024, 64, true, SageOptions.Default, Layout: TensorLayout.NHD);
        Assert.Equal(TensorLayout.NHD, nhd.Problem.Layout);
        Assert.Equal(new AttentionShape(2, 8, 8, 1024, 1024, 64), nhd.Problem.Shape); // same shape, same buffer sizes
    }

    [Fact]
    public void Bench_layout_applies_to_the_sequence_table_only()
    {
        Assert.True(new Sage.Cli.Commands.BenchCommand.Settings { Layout = TensorLayout.NHD }.Validate().Successful);
        var modes = new Sage.Cli.Commands.BenchCommand.Settings { Layout = TensorLayout.NHD, Modes = "all" }.Validate();
        Assert.False(modes.Successful);
        Assert.Contains("--layout", modes.Message);
        Assert.False(new Sage.Cli.Commands.BenchCommand.Settings { Layout = (TensorLayout)7 }.Validate().Successful);
    }

    [Fact]
    public void Lse_is_off_unless_asked() => Assert.False(new BenchmarkCase(1, 1, 64, 64, false, SageOptions.Default).Problem.ReturnLse);
}
