using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Sage.Cuda.Interop;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// CUlaunchConfig and CUlaunchAttribute as cuda.h lays them out: cuLaunchKernelEx reads the grid, the stream and the
/// attribute array through these offsets, so a wrong one would launch another shape or drop the programmatic
/// serialisation without an error (the attribute is a request the driver may honour or not).
/// </summary>
public class LaunchConfigLayoutTests
{
    [Fact]
    public void Launch_config_matches_cuda_h()
    {
        Assert.Equal(56, Unsafe.SizeOf<CuLaunchConfig>());
        Assert.Equal(0, (int)Marshal.OffsetOf<CuLaunchConfig>(nameof(CuLaunchConfig.GridDimX)));
        Assert.Equal(12, (int)Marshal.OffsetOf<CuLaunchConfig>(nameof(CuLaunchConfig.BlockDimX)));
        Assert.Equal(24, (int)Marshal.OffsetOf<CuLaunchConfig>(nameof(CuLaunchConfig.SharedMemBytes)));
        Assert.Equal(32, (int)Marshal.OffsetOf<CuLaunchConfig>(nameof(CuLaunchConfig.Stream)));
        Assert.Equal(40, (int)Marshal.OffsetOf<CuLaunchConfig>(nameof(CuLaunchConfig.Attributes)));
        Assert.Equal(48, (int)Marshal.OffsetOf<CuLaunchConfig>(nameof(CuLaunchConfig.AttributeCount)));
    }

    [Fact]
    public void Launch_attribute_matches_cuda_h()
    {
        Assert.Equal(72, Unsafe.SizeOf<CuLaunchAttribute>());
        Assert.Equal(0, (int)Marshal.OffsetOf<CuLaunchAttribute>(nameof(CuLaunchAttribute.Id)));
        Assert.Equal(8, (int)Marshal.OffsetOf<CuLaunchAttribute>(nameof(CuLaunchAttribute.Value)));
        Assert.Equal(6, CuLaunchAttribute.ProgrammaticStreamSerialization); // CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION
    }
}
