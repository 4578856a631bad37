using Xunit;
using Sage.Cuda;

namespace Sage.Gpu.Tests.Interop;

public sealed class NvrtcErrorTests(ITestOutputHelper output)
{
    private const string BrokenSource = """
        extern "C" __global__ void broken(float* x)
        {
            x[0] = undefined_identifier_42;
        }
        """;

    [Fact]
    public void Compile_error_carries_the_full_log_and_options()
    {
        using var context = InteropGpu.ContextOrSkip();
        string cacheDirectory = InteropGpu.NewCacheDirectory();
        try
        {
            var compiler = new KernelCompiler(new KernelCache(cacheDirectory));
            var e = Assert.Throws<NvrtcException>(() => compiler.Load(context, KernelSource.FromText("broken.cu", BrokenSource)));
            output.WriteLine(e.Message);

            Assert.Equal("NVRTC_ERROR_COMPILATION", e.ErrorName);
            Assert.Contains("undefined_identifier_42", e.Log);
            Assert.Contains("broken.cu", e.Log);
            Assert.Contains(e.Log, e.Message);
            Assert.Contains("broken.cu", e.Message);
            Assert.Contains($"--gpu-architecture={context.Device.Architecture}", e.Options);
            Assert.Contains("--fmad=false", e.Options);
            Assert.Empty(Directory.EnumerateFileSystemEntries(cacheDirectory)); // failures are not cached
        }
        finally
        {
            Directory.Delete(cacheDirectory, recursive: true);
        }
    }

    [Fact]
    public void Embedded_headers_and_cuda_headers_are_includable_from_text_sources()
    {
        using var context = InteropGpu.ContextOrSkip();
        var source = KernelSource.FromText("with_headers.cu", """
            #include <cuda_bf16.h>
            #include "my_header.cuh"
            extern "C" __global__ void twice(float* x) { x[threadIdx.x] = twice_of(x[threadIdx.x]); }
            """, [new KernelHeader("my_header.cuh", "__device__ float twice_of(float v) { return __fmul_rn(v, 2.0f); }")]);
        using var module = new KernelCompiler(cache: null).Load(context, source);
        using var buffer = DeviceBuffer<float>.Upload(context, [1f, 2f, 3f, 4f]);
        module.GetFunction("twice").Launch(1, 4, 0, null, buffer);
        Assert.Equal([2f, 4f, 6f, 8f], buffer.ToArray());
    }
}
