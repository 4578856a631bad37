using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Sage.Cuda.Interop;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// CUlaunchConfig and CUlaunchAttribute as cuda.h lays them out on x64 (cuLaunchKernelEx reads them; GpuPreprocessor's
/// dependent launch 3). CUlaunchConfig: seven unsigned ints (0-27), hStream at 32, attrs at 40, numAttrs at 48, 56
/// bytes. CUlaunchAttribute: the id at 0, the 64-byte value union at 8, 72 bytes. A wrong offset would hand the driver
/// another member as the stream or the attribute array, without any error of ours.
/// </summary>
public class LaunchConfigLayoutTests
{
    [Fact]
    public void Launch_config_matches_cuda_h()
    {
        Assert.Equal(56, Unsafe.SizeOf<CuLaunchConfig>());
        Assert.Equal(24, (int)Marshal.OffsetOf<CuLaunchConfig>(nameof(CuLaunchConfig.SharedMemoryBytes)));
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
        Assert.Equal(6, (int)CuLaunchAttributeId.ProgrammaticStreamSerialization); // CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION
    }
}
