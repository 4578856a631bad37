using System.Diagnostics;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// Every CUDA kernel source parses and instantiates as device code (KernelSyntax/check.sh: clang with a stub of what
/// NVRTC provides). NVRTC itself runs only on the GPU machine, so without this a C++ error in a .cu file (an unknown
/// name, a wrong overload or argument count, a template that does not instantiate) would first show there, in a call
/// that costs device time. Skipped, saying so, where no clang with CUDA support is installed; the NVRTC rules clang does
/// not apply (check.sh's nvrtc_rules) are checked with or without it.
/// </summary>
public class KernelSyntaxTests
{
    [Fact]
    public async Task Every_kernel_source_parses_as_device_code()
    {
        var (exit, stdout, stderr) = await RunCheck(null);
        if (exit == 77) Assert.Skip(stdout.Trim());
        Assert.True(exit == 0, $"kernel sources with C++ errors (check.sh exit {exit}):\n{stdout}\n{stderr}");
        Assert.Contains("0 errors  Attention/attention_solo.cu", stdout); // the main loop was among the files checked
    }

    /// <summary>
    /// The main loop's macro variants (SAGE_KERNEL_DEFINES, attention_solo.cuh and attention_mainloop.cuh) parse and
    /// instantiate too, so that a later session's device call does not find them broken: SAGE_CAUSAL_TAIL=0, the
    /// head-major causal order before session 26; SAGE_EPILOGUE_STAGED=0, the per-pair output stores before session 27;
    /// SAGE_KERNEL_ONLY, one kernel's module (SelectedKernels), for a solo and a shared kernel.
    /// </summary>
    [Theory]
    [InlineData("SAGE_CAUSAL_TAIL=0")]
    [InlineData("SAGE_EPILOGUE_STAGED=0")]
    [InlineData("SAGE_KERNEL_ONLY=sage_attention_d128_fp16_two_level")]
    [InlineData("SAGE_KERNEL_ONLY=sage_attention_d128_fp32_two_level_mlq_share")]
    public async Task The_macro_variants_parse_as_device_code(string define)
    {
        string kernels = Path.Combine(RepositoryRoot(), "src", "Sage.Cuda", "Kernels", "Attention");
        var (exit, stdout, stderr) = await RunCheck($"-D{define}",
            Path.Combine(kernels, "attention_solo.cu"), Path.Combine(kernels, "attention_solo_loglinear.cu"));
        if (exit == 77) Assert.Skip(stdout.Trim());
        Assert.True(exit == 0, $"{define}: C++ errors (check.sh exit {exit}):\n{stdout}\n{stderr}");
        Assert.Contains("0 errors  Attention/attention_solo_loglinear.cu", stdout);
    }

    /// <summary>
    /// SAGE_KERNEL_ONLY=name selects that kernel and no other: not one whose name it begins (the shared CTA's
    /// sage_attention_d128_fp16_two_level_share beside sage_attention_d128_fp16_two_level), not one it begins with. Checked
    /// as constant expressions, the way the kernels' <c>if constexpr</c> evaluates them; without the macro every kernel is selected.
    /// </summary>
    [Fact]
    public async Task The_kernel_selection_matches_whole_names_only()
    {
        string file = Path.Combine(Path.GetTempPath(), $"sage-syntax-{Guid.NewGuid():N}.cu");
        File.WriteAllText(file, """
            #include "attention_solo.cuh"
            static_assert(SAGE_KERNEL_SELECTED(sage_attention_d128_fp16_two_level), "the named kernel");
            static_assert(!SAGE_KERNEL_SELECTED(sage_attention_d128_fp16_two_level_share), "a longer name");
            static_assert(!SAGE_KERNEL_SELECTED(sage_attention_d128_fp16_two), "a shorter name");
            static_assert(!SAGE_KERNEL_SELECTED(sage_attention_d64_fp16_two_level), "another head dim");
            """);
        string unselected = Path.Combine(Path.GetTempPath(), $"sage-syntax-{Guid.NewGuid():N}.cu");
        File.WriteAllText(unselected, """
            #include "attention_solo.cuh"
            static_assert(SAGE_KERNEL_SELECTED(sage_attention_d64_fp32) && SAGE_KERNEL_SELECTED(sage_attention_d128_fp16_two_level_share), "all");
            """);
        try
        {
            var (exit, stdout, stderr) = await RunCheck("-DSAGE_KERNEL_ONLY=sage_attention_d128_fp16_two_level", file);
            if (exit == 77) Assert.Skip(stdout.Trim());
            Assert.True(exit == 0, $"selection (check.sh exit {exit}):\n{stdout}\n{stderr}");
            (exit, stdout, stderr) = await RunCheck(null, unselected);
            Assert.True(exit == 0, $"no selection (check.sh exit {exit}):\n{stdout}\n{stderr}");
            // The check can fail: the same assertions with another kernel selected.
            (exit, stdout, _) = await RunCheck("-DSAGE_KERNEL_ONLY=sage_attention_d128_fp16_two_level_share", file);
            Assert.Equal(1, exit);
            Assert.Contains("the named kernel", stdout);
        }
        finally
        {
            File.Delete(file);
            File.Delete(unselected);
        }
    }

    /// <summary>The check reports what it must find: an unknown name and a wrong argument count in a kernel template.</summary>
    [Fact]
    public async Task The_check_finds_errors_in_a_kernel_template()
    {
        string file = Path.Combine(Path.GetTempPath(), $"sage-syntax-{Guid.NewGuid():N}.cu");
        File.WriteAllText(file, """
            #include "attention_solo.cuh"
            template <int D> __device__ void broken(const AttentionParams& p) { store_rows<D, false>(p, 1); undefined_name(); }
            extern "C" __global__ void k(AttentionParams p) { broken<128>(p); }
            """);
        try
        {
            var (exit, stdout, _) = await RunCheck(null, file);
            if (exit == 77) Assert.Skip(stdout.Trim());
            Assert.Equal(1, exit);
            Assert.Contains("undefined_name", stdout);
            Assert.Contains("store_rows", stdout);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// A generic lambda in device code parses under clang but NVRTC refuses it ("host functions are not allowed in JIT
    /// mode": session 44's peeled tile loop, a lost device call), so the check applies that rule by pattern, with or
    /// without clang: exit 1 and the line named.
    /// </summary>
    [Fact]
    public async Task The_check_refuses_a_generic_lambda_that_NVRTC_would_reject()
    {
        string file = Path.Combine(Path.GetTempPath(), $"sage-syntax-{Guid.NewGuid():N}.cu");
        File.WriteAllText(file, """
            __device__ int step(int kt) { auto tile = [&](int k, auto half) { return k + (int)half; }; return tile(kt, true); }
            extern "C" __global__ void k(int* out) { *out = step(1); }
            """);
        try
        {
            var (exit, stdout, _) = await RunCheck(null, file);
            Assert.Equal(1, exit);
            Assert.Contains("generic lambda", stdout);
            Assert.Contains("auto half", stdout);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static Task<(int Exit, string Stdout, string Stderr)> RunCheck(string? flags, params string[] files)
    {
        var start = new ProcessStartInfo("bash");
        if (flags is not null) start.Environment["CHECK_FLAGS"] = flags;
        start.ArgumentList.Add(Path.Combine(RepositoryRoot(), "tests", "Property", "Cuda", "KernelSyntax", "check.sh"));
        foreach (string f in files) start.ArgumentList.Add(f);
        return RepositoryScripts.RunAsync(start, TimeSpan.FromMinutes(5));
    }

    private static string RepositoryRoot() => RepositoryScripts.Root();
}
