using Sage.Cuda;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>The main-loop variants SAGE_ATTENTION_KERNEL selects: names, default, embedded kernel files.</summary>
public class MainLoopVariantTests
{
    [Fact]
    public void Default_is_one_of_the_names()
    {
        Assert.Contains(CudaAttention.DefaultVariant, CudaAttention.VariantNames);
        Assert.Equal(CudaAttention.VariantNames.Count, CudaAttention.VariantNames.Distinct().Count());
    }

    [Theory]
    [InlineData(CudaAttention.SoloKernelResource)]
    [InlineData(CudaAttention.Solo3KernelResource)]
    [InlineData(CudaAttention.Solo4KernelResource)]
    [InlineData(CudaAttention.PingPongKernelResource)]
    public void Variant_kernels_are_embedded(string resource) =>
        Assert.Contains(resource, KernelSource.ListEmbedded(typeof(CudaAttention).Assembly));
}
