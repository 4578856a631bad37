using Sage.Cuda;
using Xunit;

namespace Sage.Gpu.Tests.Attention;

/// <summary>Which options the CUDA backend runs; the rest are refused before any work, naming why (no GPU needed).</summary>
public sealed class AttentionOptionTests
{
    private static readonly AttentionProblem Problem = new(new AttentionShape(1, 1, 1, 64, 64, 128));

    [Fact]
    public void Int4_is_refused_naming_the_missing_hardware_path()
    {
        var e = Assert.Throws<NotSupportedException>(() => CudaAttention.CheckSupported(Problem, new SageOptions { QkFormat = QkFormat.Int4 }));
        Assert.Contains("Int4", e.Message);
        Assert.Contains("sm_90a", e.Message);
        Assert.False(CudaAttention.Supports(new SageOptions { QkFormat = QkFormat.Int4 }));
    }

    [Fact]
    public void Q_smoothing_is_supported() => CudaAttention.CheckSupported(Problem, new SageOptions { SmoothQ = true });

    [Fact]
    public void V_smoothing_is_supported() => CudaAttention.CheckSupported(Problem, new SageOptions { SmoothV = true });

    [Fact]
    public void Every_int8_option_combination_is_supported()
    {
        foreach (var pv in Enum.GetValues<PvAccumulation>())
        foreach (var g in Enum.GetValues<QuantGranularity>())
        foreach (bool sq in new[] { false, true })
        foreach (bool sv in new[] { false, true })
        {
            var o = new SageOptions { PvAccumulation = pv, Granularity = g, SmoothQ = sq, SmoothV = sv };
            CudaAttention.CheckSupported(Problem, o);
            Assert.True(CudaAttention.Supports(o));
        }
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
