using Xunit;
using System.Text.RegularExpressions;
using Sage.Cuda;

namespace Sage.Gpu.Tests.Interop;

public sealed partial class DeviceInfoTests(ITestOutputHelper output)
{
    [GeneratedRegex(@"^\d+\.\d+$")]
    private static partial Regex VersionPattern();

    [GeneratedRegex(@"^sm_\d{2,3}a?$")]
    private static partial Regex ArchitecturePattern();

    [Fact]
    public void Enumerated_devices_are_sane()
    {
        using var context = InteropGpu.ContextOrSkip();
        var devices = CudaDevice.Enumerate();

        Assert.NotEmpty(devices);
        for (int i = 0; i < devices.Count; i++)
        {
            var d = devices[i];
            output.WriteLine($"{d} Architecture={d.Architecture} OptIn={d.MaxSharedMemoryPerBlockOptIn}");
            Assert.Equal(i, d.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(d.Name));
            Assert.InRange(d.Major, 5, 20);
            Assert.InRange(d.Minor, 0, 9);
            Assert.InRange(d.MultiprocessorCount, 1, 10_000);
            Assert.InRange(d.TotalMemoryBytes, 1L << 30, 1L << 44);
            Assert.Matches(VersionPattern(), d.DriverVersion);
            Assert.Matches(ArchitecturePattern(), d.Architecture);
            Assert.InRange(d.MaxSharedMemoryPerBlockOptIn, 48 * 1024, 1024 * 1024);
            if (d.Major == 9 && d.Minor == 0) Assert.Equal("sm_90a", d.Architecture);
            if (d.Major == 8 && d.Minor == 9) Assert.Equal("sm_89", d.Architecture);
        }
        Assert.Equal(devices[0], context.Device);
    }

    [Fact]
    public void Memory_info_is_within_the_device()
    {
        using var context = InteropGpu.ContextOrSkip();
        var memory = context.GetMemoryInfo();
        output.WriteLine($"{memory}");
        Assert.InRange(memory.TotalBytes, 1L << 30, context.Device.TotalMemoryBytes);
        Assert.InRange(memory.FreeBytes, 1, memory.TotalBytes);
    }

    [Fact]
    public void Ordinal_past_the_last_device_is_an_argument_error()
    {
        using var context = InteropGpu.ContextOrSkip();
        int count = CudaDevice.Enumerate().Count;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => CudaContext.Create(count));
        Assert.Equal("ordinal", e.ParamName);
    }
}
