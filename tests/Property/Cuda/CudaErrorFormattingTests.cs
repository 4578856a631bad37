using Sage.Cuda;
using Sage.Cuda.Interop;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>Error messages: what a user sees when a call fails must name the call, the error and its meaning.</summary>
public class CudaErrorFormattingTests
{
    [Fact]
    public void Cuda_exception_reads_call_failed_name_and_description()
    {
        var e = new CudaException(2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory", "cuMemAlloc_v2(&p, n)");
        Assert.Equal("cuMemAlloc_v2(&p, n) failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)", e.Message);
        Assert.Equal(2, e.ResultCode);
        Assert.Equal("CUDA_ERROR_OUT_OF_MEMORY", e.ErrorName);
        Assert.Equal("cuMemAlloc_v2(&p, n)", e.Call);
        Assert.Null(e.Detail);
    }

    [Fact]
    public void Detail_follows_the_driver_text()
    {
        var e = new CudaException(2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory", "cuMemAlloc_v2(1024)", "asked for 1024 bytes");
        Assert.Equal("cuMemAlloc_v2(1024) failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory); asked for 1024 bytes", e.Message);
    }

    [Fact]
    public void Check_names_the_call_as_written_at_the_call_site()
    {
        var e = Assert.Throws<CudaException>(() => CudaCheck.ThrowIfFailed(FailWith(CuResult.CUDA_ERROR_INVALID_VALUE, 7)));
        Assert.Equal("FailWith(CuResult.CUDA_ERROR_INVALID_VALUE, 7)", e.Call);
        Assert.Equal("CUDA_ERROR_INVALID_VALUE", e.ErrorName);
        Assert.Equal(1, e.ResultCode);
        Assert.StartsWith("FailWith(CuResult.CUDA_ERROR_INVALID_VALUE, 7) failed: CUDA_ERROR_INVALID_VALUE (", e.Message);
    }

    [Fact]
    public void Success_does_not_throw() => CudaCheck.ThrowIfFailed(CuResult.CUDA_SUCCESS);

    [Fact]
    public void Unknown_result_code_is_still_named_by_number() =>
        Assert.Equal("CUresult 12345", CudaErrorText.FallbackName((CuResult)12345));

    [Fact]
    public void Compilation_failure_message_holds_the_whole_log_and_options()
    {
        // A long log with the interesting error at the very end must not be cut.
        string log = string.Concat(Enumerable.Repeat("k.cu(1): warning: something harmless\n", 3000)) + "k.cu(9): error: the real problem";
        string[] options = ["--gpu-architecture=sm_90a", "-std=c++17"];
        var e = NvrtcException.CompilationFailed("k.cu", "NVRTC_ERROR_COMPILATION", log, options);

        Assert.Contains("'k.cu'", e.Message);
        Assert.Contains("NVRTC_ERROR_COMPILATION", e.Message);
        Assert.Contains("--gpu-architecture=sm_90a -std=c++17", e.Message);
        Assert.EndsWith(log, e.Message);
        Assert.Equal(log, e.Log);
        Assert.Equal(options, e.Options);
        Assert.Equal("NVRTC_ERROR_COMPILATION", e.ErrorName);
    }

    [Theory]
    [InlineData(9, 0, "sm_90a")]
    [InlineData(8, 9, "sm_89")]
    [InlineData(8, 0, "sm_80")]
    [InlineData(7, 5, "sm_75")]
    [InlineData(10, 0, "sm_100a")]
    [InlineData(12, 0, "sm_120a")]
    public void Architecture_is_the_devices_own_with_the_a_variant_from_hopper(int major, int minor, string expected)
    {
        var device = new CudaDeviceInfo(0, "test", major, minor, 1, 1L << 30, "13.0");
        Assert.Equal(expected, device.Architecture);
        Assert.Equal(major * 10 + minor, device.ArchitectureNumber);
    }

    [Theory]
    [InlineData(13000, "13.0")]
    [InlineData(12080, "12.8")]
    [InlineData(11020, "11.2")]
    public void Driver_version_is_decoded(int encoded, string expected) =>
        Assert.Equal(expected, CudaDevice.FormatDriverVersion(encoded));

    private static CuResult FailWith(CuResult result, int _) => result;
}
