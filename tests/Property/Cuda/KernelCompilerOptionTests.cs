using Sage.Cuda;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>NVRTC options and target choice: pure functions, testable without NVRTC.</summary>
public class KernelCompilerOptionTests
{
    [Fact]
    public void Defaults_are_exact_arithmetic_cpp17_and_the_include_folders()
    {
        var options = KernelCompiler.BuildOptions("sm_90a", ["/cuda/include", "/cuda/include/cccl"], null);
        Assert.Equal(
            ["--gpu-architecture=sm_90a", "-std=c++17", "--fmad=false", "--include-path=/cuda/include", "--include-path=/cuda/include/cccl"],
            options);
    }

    [Theory]
    [InlineData("--use_fast_math")]
    [InlineData("-use_fast_math")]
    public void Fast_math_is_refused(string option)
    {
        var e = Assert.Throws<ArgumentException>(() => KernelCompiler.BuildOptions("sm_90a", [], [option]));
        Assert.Contains(option, e.Message);
        Assert.Contains("exact", e.Message);
    }

    [Theory]
    [InlineData("--gpu-architecture=sm_80")]
    [InlineData("-arch=sm_80")]
    public void Architecture_options_are_refused_because_the_device_decides(string option) =>
        Assert.Throws<ArgumentException>(() => KernelCompiler.BuildOptions("sm_90a", [], [option]));

    [Fact]
    public void Explicit_fmad_replaces_the_default()
    {
        var options = KernelCompiler.BuildOptions("sm_90a", [], ["--fmad=true", "-lineinfo"]);
        Assert.Equal(["--gpu-architecture=sm_90a", "-std=c++17", "--fmad=true", "-lineinfo"], options);
    }

    [Fact]
    public void Known_architecture_compiles_to_cubin()
    {
        var target = KernelTarget.Choose("sm_90a", [75, 80, 86, 89, 90, 100, 120], "13.0");
        Assert.Equal(new KernelTarget("sm_90a", KernelImageKind.Cubin), target);
    }

    [Fact]
    public void Device_newer_than_nvrtc_gets_ptx_of_the_newest_older_architecture()
    {
        var target = KernelTarget.Choose("sm_120a", [75, 80, 86, 89, 90], "12.4");
        Assert.Equal(new KernelTarget("compute_90", KernelImageKind.Ptx), target);
    }

    [Fact]
    public void Device_older_than_every_nvrtc_target_is_unavailable()
    {
        var e = Assert.Throws<CudaUnavailableException>(() => KernelTarget.Choose("sm_70", [75, 80, 90], "13.0"));
        Assert.Equal(CudaComponent.Nvrtc, e.Missing);
        Assert.Contains("sm_70", e.Message);
        Assert.Contains("sm_75, sm_80, sm_90", e.Message);
    }

    [Theory]
    [InlineData("sm_90a", 90)]
    [InlineData("sm_89", 89)]
    [InlineData("sm_100a", 100)]
    [InlineData("sm_100f", 100)]
    public void Architecture_numbers_parse(string architecture, int number) =>
        Assert.Equal(number, KernelTarget.Parse(architecture));

    [Theory]
    [InlineData("compute_90")]
    [InlineData("90")]
    [InlineData("sm_")]
    public void Malformed_architecture_is_an_argument_error(string architecture) =>
        Assert.Throws<ArgumentException>(() => KernelTarget.Parse(architecture));
}
