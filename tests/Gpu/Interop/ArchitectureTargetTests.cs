using Xunit;
using Sage.Cuda;

namespace Sage.Gpu.Tests.Interop;

public sealed class ArchitectureTargetTests(ITestOutputHelper output)
{
    // wgmma.fence and setmaxnreg exist only on the architecture-specific sm_90a target; a plain sm_90
    // compile rejects them. Compiling this proves the device's 'a' target reaches NVRTC.
    private const string HopperOnly = """
        extern "C" __global__ void __launch_bounds__(128, 1) hopper_only(int* out)
        {
            asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
            asm volatile("setmaxnreg.inc.sync.aligned.u32 240;\n");
            if (threadIdx.x == 0) out[0] = 90;
        }
        """;

    [Fact]
    public void Hopper_only_instructions_compile_for_the_devices_a_target()
    {
        using var context = InteropGpu.ContextOrSkip();
        if (context.Device is not { Major: 9, Minor: 0 }) Assert.Skip($"needs compute capability 9.0, device is {context.Device.Major}.{context.Device.Minor}");

        using var module = new KernelCompiler(cache: null).Load(context, KernelSource.FromText("hopper_only.cu", HopperOnly));
        output.WriteLine($"{module.Compiled!.Architecture}: {module.Compiled.Image.Length} bytes; log: {module.Compiled.Log}");
        var function = module.GetFunction("hopper_only");
        using var result = DeviceBuffer<int>.Allocate(context, 1);
        result.FillBytes(0);
        function.Launch(1, 128, 0, null, result);
        Assert.Equal([90], result.ToArray());
    }

    [Fact]
    public void Plain_sm_90_rejects_them_so_the_check_above_means_something()
    {
        using var context = InteropGpu.ContextOrSkip();
        var e = Assert.Throws<NvrtcException>(() => new KernelCompiler(cache: null).Compile(KernelSource.FromText("hopper_only.cu", HopperOnly), "sm_90"));
        output.WriteLine(e.Log);
        Assert.Equal("NVRTC_ERROR_COMPILATION", e.ErrorName);
        Assert.Contains("wgmma.fence", e.Log);
        Assert.DoesNotContain('\0', e.Log); // ptxas' part of the log once ended in a stray NUL
    }
}
