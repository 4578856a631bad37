using Xunit;
using Sage.Cuda;

namespace Sage.Gpu.Tests.Interop;

/// <summary>Entry point of every interop GPU test: a context on device 0, or a skip that says why there is none.</summary>
internal static class InteropGpu
{
    public static CudaContext ContextOrSkip()
    {
        if (!CudaDevice.IsAvailable(out string reason)) Assert.Skip($"no CUDA device: {reason}");
        return CudaContext.Create();
    }

    /// <summary>One of our own test kernels (src/Sage.Cuda/Kernels/Interop), compiled through the default cache.</summary>
    public static CudaModule LoadInteropKernel(CudaContext context, string fileName, KernelCompiler? compiler = null) =>
        (compiler ?? new KernelCompiler()).Load(context, InteropSource(fileName));

    public static KernelSource InteropSource(string fileName) =>
        KernelSource.FromEmbedded(typeof(CudaContext).Assembly, $"Sage.Cuda.Kernels.Interop.{fileName}");

    /// <summary>A fresh, empty cache folder under the temp folder; the caller deletes it.</summary>
    public static string NewCacheDirectory()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"sage-kernel-cache-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        return directory;
    }
}
