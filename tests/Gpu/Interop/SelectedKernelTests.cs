using System.Collections.Concurrent;
using System.Diagnostics;
using Sage.Cuda;
using Sage.Gpu.Tests.Attention;
using Sage.Reference;
using Xunit;

namespace Sage.Gpu.Tests.Interop;

/// <summary>
/// CudaAttention compiles each main-loop kernel in a module of its own (SelectedKernels: the program with
/// SAGE_KERNEL_ONLY=name, every other kernel a trap). These check on the real toolkit that a kernel compiled alone is the
/// whole program's kernel byte for byte (its code section and the driver's registers and local memory), so that the
/// bit-exact suites, which run the kernels compiled alone, also vouch for the whole programs that `sage kernels` and
/// SassTests read, and that a call compiles only what it launches. (The fused pre-processing program is not compiled
/// this way: alone, some of its launch-3 kernels got other code and registers, session 49.)
/// </summary>
public sealed class SelectedKernelTests(ITestOutputHelper output)
{
    private const int TrapInstructions = 16; // a trap entry: the trap, its exit and padding

    [Theory]
    [InlineData(PEncoding.Exp2)]
    [InlineData(PEncoding.LogLinear)]
    public void Each_main_loop_kernel_compiled_alone_is_the_whole_programs_machine_code(PEncoding encoding) =>
        CheckProgram(CudaAttention.KernelResourceFor(encoding), "sage_attention_", 27); // 18 solo + 9 shared (attention_solo.cuh)

    private void CheckProgram(string resource, string prefix, int kernels)
    {
        using var context = InteropGpu.ContextOrSkip();
        var source = KernelSource.FromEmbedded(typeof(CudaContext).Assembly, resource);
        string program = resource.Split('.')[^2];
        // The default cache: the entries the backend itself reads (a cold cache compiles here what a call would).
        var compiler = new KernelCompiler();
        string architecture = context.Device.Architecture;
        var wholeImage = compiler.Compile(source, architecture);
        var whole = CubinSections.Read(wholeImage.Image);
        using var wholeModule = CudaModule.Load(context, wholeImage);
        string[] names = [.. whole.Keys.Where(n => n.StartsWith(".text." + prefix, StringComparison.Ordinal)).Select(n => n[".text.".Length..])];
        Assert.Equal(kernels, names.Length);

        var problems = new ConcurrentBag<string>();
        var compiled = new ConcurrentDictionary<string, CompiledKernel>();
        var seconds = new ConcurrentDictionary<string, double>();
        Parallel.ForEach(names, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, name =>
        {
            var clock = Stopwatch.StartNew();
            var alone = compiler.Compile(source, architecture, SelectedKernels.OptionsFor(name, []));
            seconds[name] = clock.Elapsed.TotalSeconds;
            compiled[name] = alone;
            var sections = CubinSections.Read(alone.Image);
            var own = sections[".text." + name];
            var reference = whole[".text." + name];
            // The code bytes, and the flags, where a CUDA ELF keeps the kernel's register count.
            if (!own.Data.AsSpan().SequenceEqual(reference.Data))
                problems.Add($"{name}: {own.Data.Length} code bytes alone against {reference.Data.Length} in the whole program, or the same count with other bytes");
            if (own.Flags != reference.Flags) problems.Add($"{name}: section flags 0x{own.Flags:X} alone against 0x{reference.Flags:X}");
            foreach (var other in names.Where(n => n != name))
            {
                int bytes = sections.TryGetValue(".text." + other, out var o) ? o.Data.Length : -1;
                if (bytes < 0 || bytes > TrapInstructions * 16)
                    problems.Add($"{name}: the unselected {other} holds {bytes} code bytes, expected a trap of at most {TrapInstructions * 16}");
            }
        });
        foreach (string name in names.Order(StringComparer.Ordinal))
        {
            // What the driver reports for the loaded kernels: registers and local memory.
            using var module = CudaModule.Load(context, compiled[name]);
            var own = module.GetFunction(name);
            var reference = wholeModule.GetFunction(name);
            if (own.RegistersPerThread != reference.RegistersPerThread || own.LocalMemoryBytes != reference.LocalMemoryBytes)
                problems.Add($"{name}: {own.RegistersPerThread} registers, {own.LocalMemoryBytes} local bytes alone against " +
                             $"{reference.RegistersPerThread}, {reference.LocalMemoryBytes}");
            output.WriteLine($"{program} {name}: {(compiled[name].FromCache ? "cache" : "compiled")} in {seconds[name]:F1} s, " +
                             $"{own.RegistersPerThread} registers, {compiled[name].Image.Length} bytes (whole program {wholeImage.Image.Length})");
        }
        Assert.Empty(problems);
    }

    /// <summary>
    /// A fresh instance on an empty kernel cache compiles the one main-loop kernel its call launches, then the other
    /// encoding's one when a call needs it, and nothing on repeated calls. The output lines give the construction's and
    /// the first call's times on the empty cache (not asserted).
    /// </summary>
    [Fact]
    public void A_call_compiles_only_the_kernel_it_launches()
    {
        using var context = InteropGpu.ContextOrSkip();
        string cacheDirectory = InteropGpu.NewCacheDirectory();
        try
        {
            var clock = Stopwatch.StartNew();
            using var gpu = new CudaAttention(context, new KernelCompiler(new KernelCache(cacheDirectory)));
            output.WriteLine($"construction on an empty cache (the pre-processing programs compiled): {clock.Elapsed.TotalSeconds:F1} s");
            var problem = new AttentionProblem(new AttentionShape(1, 2, 2, 200, 200, 64), causal: true);
            var inputs = SyntheticData.GenerateInputs(problem, DataFamily.KChannelBias, ElementType.Float16, seed: 5);
            Assert.Equal(0, gpu.MainLoopKernelsLoaded);

            clock.Restart();
            var first = gpu.Run(problem, inputs.Q, inputs.K, inputs.V, new SageOptions());
            output.WriteLine($"first call (one main-loop kernel compiled): {clock.Elapsed.TotalSeconds:F1} s");
            Assert.Equal(1, gpu.MainLoopKernelsLoaded);

            var again = gpu.Run(problem, inputs.Q, inputs.K, inputs.V, new SageOptions());
            Assert.Equal(1, gpu.MainLoopKernelsLoaded);
            Assert.Equal(0, OutputComparison.BitMismatches(first.Output.Bits16.ToArray(), again.Output.Bits16.ToArray()));

            clock.Restart();
            gpu.Run(problem, inputs.Q, inputs.K, inputs.V, new SageOptions { PEncoding = PEncoding.LogLinear });
            output.WriteLine($"first LogLinear call: {clock.Elapsed.TotalSeconds:F1} s");
            Assert.Equal(2, gpu.MainLoopKernelsLoaded);
        }
        finally
        {
            Directory.Delete(cacheDirectory, recursive: true);
        }
    }
}
