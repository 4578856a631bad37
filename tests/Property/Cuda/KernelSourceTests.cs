using Sage.Cuda;
using Xunit;

namespace Sage.Property.Tests.Cuda;

public class KernelSourceTests
{
    [Fact]
    public void Hash_covers_code_and_headers_but_not_the_name()
    {
        var plain = KernelSource.FromText("a.cu", "code");
        Assert.Equal(plain.Hash, KernelSource.FromText("b.cu", "code").Hash);
        Assert.NotEqual(plain.Hash, KernelSource.FromText("a.cu", "code ").Hash);

        var withHeader = KernelSource.FromText("a.cu", "code", [new KernelHeader("h.cuh", "x")]);
        Assert.NotEqual(plain.Hash, withHeader.Hash);
        Assert.NotEqual(withHeader.Hash, KernelSource.FromText("a.cu", "code", [new KernelHeader("h.cuh", "y")]).Hash);
        Assert.NotEqual(withHeader.Hash, KernelSource.FromText("a.cu", "code", [new KernelHeader("g.cuh", "x")]).Hash);
        Assert.Matches("^[0-9a-f]{64}$", plain.Hash);
    }

    [Fact]
    public void Duplicate_header_names_are_refused() =>
        Assert.Throws<ArgumentException>(() =>
            KernelSource.FromText("a.cu", "", [new KernelHeader("h.cuh", "1"), new KernelHeader("h.cuh", "2")]));

    [Theory]
    [InlineData("Sage.Cuda.Kernels.Probes.common.cuh", "common.cuh", "Probes/common.cuh")]
    [InlineData("Sage.Cuda.Kernels.vector_add.cu", "vector_add.cu", "vector_add.cu")]
    [InlineData("Sage.Cuda.Kernels.A.B.deep.cuh", "deep.cuh", "A/B/deep.cuh")]
    public void Resource_names_map_to_include_names(string resource, string fileName, string relativePath)
    {
        Assert.Equal(fileName, KernelSource.FileName(resource));
        Assert.Equal(relativePath, KernelSource.RelativePath(resource));
    }

    [Fact]
    public void Embedded_kernels_come_with_every_embedded_header()
    {
        var assembly = typeof(KernelCompiler).Assembly;
        var source = KernelSource.FromEmbedded(assembly, "Sage.Cuda.Kernels.Interop.vector_add.cu");

        Assert.Equal("vector_add.cu", source.Name);
        Assert.Contains("vector_add", source.Code);
        var names = source.Headers.Select(h => h.IncludeName).ToList();
        Assert.Contains("Interop/interop_common.cuh", names);
        Assert.Contains("interop_common.cuh", names);
    }

    [Fact]
    public void Unknown_resource_lists_what_exists()
    {
        var e = Assert.Throws<ArgumentException>(() => KernelSource.FromEmbedded(typeof(KernelCompiler).Assembly, "Sage.Cuda.Kernels.nope.cu"));
        Assert.Contains("Sage.Cuda.Kernels.Interop.vector_add.cu", e.Message);
    }
}
