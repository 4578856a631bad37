using Xunit;
using Sage.Cuda;

namespace Sage.Gpu.Tests.Interop;

/// <summary>
/// Compiles every .cu embedded in Sage.Cuda, fresh (no cache), for this device and loads it: a kernel that
/// no longer compiles fails here first, with NVRTC's full log, before the tests that use it.
/// </summary>
public sealed class CompileEverythingTests(ITestOutputHelper output)
{
    public static TheoryData<string> EmbeddedKernels => new(KernelSource.ListEmbedded(typeof(CudaContext).Assembly));

    [Fact]
    public void Sage_Cuda_embeds_its_kernels()
    {
        // Needs no GPU: guards the EmbeddedResource glob and the stable resource names.
        var names = KernelSource.ListEmbedded(typeof(CudaContext).Assembly);
        Assert.Contains("Sage.Cuda.Kernels.Interop.vector_add.cu", names);
        Assert.All(names, n => Assert.StartsWith("Sage.Cuda.Kernels.", n));
    }

    [Theory]
    [MemberData(nameof(EmbeddedKernels))]
    public void Embedded_kernel_compiles_and_loads(string resourceName)
    {
        using var context = InteropGpu.ContextOrSkip();
        var source = KernelSource.FromEmbedded(typeof(CudaContext).Assembly, resourceName);

        using var module = new KernelCompiler(cache: null).Load(context, source);

        var compiled = module.Compiled!;
        Assert.False(compiled.FromCache);
        Assert.Equal(context.Device.Architecture, compiled.Architecture);
        Assert.Equal(KernelImageKind.Cubin, compiled.Kind);
        output.WriteLine($"{resourceName}: {compiled.Image.Length} bytes of {compiled.Kind} for {compiled.Architecture}, NVRTC {compiled.NvrtcVersion}");
        output.WriteLine($"options: {string.Join(' ', compiled.Options)}");
        if (compiled.Log.Length > 0) output.WriteLine($"log:\n{compiled.Log}");
    }
}
