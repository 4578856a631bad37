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
    [InlineData("Sage.Cuda.Kernels.Attention.attention_solo.cuh")]
    [InlineData("Sage.Cuda.Kernels.Attention.attention_mainloop.cuh")]
    [InlineData("Sage.Cuda.Kernels.Attention.attention_wgmma.cuh")]
    public void Main_loop_sources_are_embedded(string resource) =>
        Assert.Contains(resource, typeof(CudaAttention).Assembly.GetManifestResourceNames());
}
