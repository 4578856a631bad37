using Sage.Cuda;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>The main-loop kernel file CudaAttention compiles is embedded in Sage.Cuda, with the headers it includes.</summary>
public class MainLoopKernelTests
{
    [Fact]
    public void Main_loop_kernel_is_listed() =>
        Assert.Contains(CudaAttention.KernelResource, KernelSource.ListEmbedded(typeof(CudaAttention).Assembly));

    [Theory]
    [InlineData(PEncoding.Exp2)]
    [InlineData(PEncoding.LogLinear)]
    public void Every_p_encoding_has_a_listed_kernel_file(PEncoding encoding) =>
        Assert.Contains(CudaAttention.KernelResourceFor(encoding), KernelSource.ListEmbedded(typeof(CudaAttention).Assembly));

    [Fact]
    public void The_two_encodings_compile_different_files() =>
        Assert.NotEqual(CudaAttention.KernelResourceFor(PEncoding.Exp2), CudaAttention.KernelResourceFor(PEncoding.LogLinear));

    [Fact]
    public void An_unknown_encoding_names_the_argument()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => CudaAttention.KernelResourceFor((PEncoding)7));
        Assert.Equal("encoding", e.ParamName);
    }

    [Theory]
    [InlineData("Sage.Cuda.Kernels.Attention.attention_solo.cuh")]
    [InlineData("Sage.Cuda.Kernels.Attention.attention_mainloop.cuh")]
    [InlineData("Sage.Cuda.Kernels.Attention.attention_wgmma.cuh")]
    public void Main_loop_sources_are_embedded(string resource) =>
        Assert.Contains(resource, typeof(CudaAttention).Assembly.GetManifestResourceNames());
}
