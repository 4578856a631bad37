using Sage.Cuda;
using Xunit;

namespace Sage.Gpu.Tests.Interop;

/// <summary>
/// `sage kernels` on the real toolkit: the main loop compiled as the backend compiles it, disassembled by cuobjdump and
/// counted. The counts must agree with what the driver reports for the loaded kernel (registers; local memory = stack
/// frame + other local), the kernel must hold its wgmmas and exp2s, and its K-tile loop must be found. Prints every
/// main-loop kernel's row for the record.
/// </summary>
public sealed class SassTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(PEncoding.Exp2)]
    [InlineData(PEncoding.LogLinear)]
    public void Main_loop_sass_is_counted_and_agrees_with_the_driver(PEncoding encoding)
    {
        using var context = InteropGpu.ContextOrSkip();
        var source = KernelSource.FromEmbedded(typeof(CudaContext).Assembly, CudaAttention.KernelResourceFor(encoding));
        var compiler = new KernelCompiler(cache: null);
        var compiled = compiler.Compile(source, context.Device.Architecture);
        var kernels = SassDisassembler.Locate().Summarise(compiled);
        using var module = CudaModule.Load(context, compiled);

        Assert.Contains(kernels, k => k.Name == "sage_attention_d128_fp16_two_level_share");
        foreach (var k in kernels.Where(k => k.Name.StartsWith("sage_attention_", StringComparison.Ordinal)))
        {
            output.WriteLine($"{encoding} {k.Name}: {k.Registers} registers, {k.StackBytes} stack + {k.LocalBytes} local bytes, {k.Instructions} instructions, " +
                             $"R2UR {k.R2ur}, STL+LDL {k.LocalAccesses}, wgmma {k.Wgmma}, MUFU {k.Mufu}, largest loop {k.LargestLoop}");
            var function = module.GetFunction(k.Name);
            Assert.Equal(function.RegistersPerThread, k.Registers);
            Assert.Equal(function.LocalMemoryBytes, k.LocalMemoryBytes);
            Assert.True(k.Wgmma > 0, $"{k.Name}: no wgmma in its SASS");
            Assert.True(k.Mufu > 0, $"{k.Name}: no MUFU in its SASS"); // LogLinear too: the rescale factors stay exp2
            // The K-tile loop: a backward branch whose body holds most of the kernel (SassText.Loops; cuobjdump prints
            // branch targets as addresses).
            Assert.True(k.LargestLoop > k.Instructions / 10, $"{k.Name}: largest loop {k.LargestLoop} of {k.Instructions} instructions");
        }
    }
}
