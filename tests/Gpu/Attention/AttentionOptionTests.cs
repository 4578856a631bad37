using Sage.Cuda;
using Xunit;

namespace Sage.Gpu.Tests.Attention;

/// <summary>Options the CUDA main loop does not run yet are refused before any work, naming the option (no GPU needed).</summary>
public sealed class AttentionOptionTests
{
    private static readonly AttentionProblem Problem = new(new AttentionShape(1, 1, 1, 64, 64, 128));

    [Fact]
    public void Int4_is_not_supported_yet()
    {
        var e = Assert.Throws<NotSupportedException>(() => CudaAttention.CheckSupported(Problem, new SageOptions { QkFormat = QkFormat.Int4 }));
        Assert.Contains("Int4", e.Message);
    }

    [Fact]
    public void Q_smoothing_is_not_supported_yet()
    {
        var e = Assert.Throws<NotSupportedException>(() => CudaAttention.CheckSupported(Problem, new SageOptions { SmoothQ = true }));
        Assert.Contains("SmoothQ", e.Message);
    }

    [Fact]
    public void V_smoothing_is_not_supported_yet()
    {
        var e = Assert.Throws<NotSupportedException>(() => CudaAttention.CheckSupported(Problem, new SageOptions { SmoothV = true }));
        Assert.Contains("SmoothV", e.Message);
    }

    [Fact]
    public void Head_dim_96_is_refused()
    {
        var p = new AttentionProblem(new AttentionShape(1, 1, 1, 64, 64, 96));
        Assert.Throws<NotSupportedException>(() => CudaAttention.CheckSupported(p, SageOptions.Default));
    }

    [Fact]
    public void Default_options_are_supported() => CudaAttention.CheckSupported(Problem, SageOptions.Default);
}
