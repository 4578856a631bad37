using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Sage.Cuda.Interop;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// nvmlFieldValue_t as nvml.h lays it out (fieldId 0, scopeId 4, timestamp 8, latencyUsec 16, valueType 24,
/// nvmlReturn 28, value 32; 40 bytes): NVML writes the instant power into this struct, so a wrong offset would read
/// another member as watts without any error.
/// </summary>
public class NvmlFieldValueLayoutTests
{
    [Fact]
    public void Size_and_offsets_match_nvml_h()
    {
        Assert.Equal(40, Unsafe.SizeOf<NvmlFieldValue>());
        Assert.Equal(0, (int)Marshal.OffsetOf<NvmlFieldValue>(nameof(NvmlFieldValue.FieldId)));
        Assert.Equal(4, (int)Marshal.OffsetOf<NvmlFieldValue>(nameof(NvmlFieldValue.ScopeId)));
        Assert.Equal(8, (int)Marshal.OffsetOf<NvmlFieldValue>(nameof(NvmlFieldValue.Timestamp)));
        Assert.Equal(16, (int)Marshal.OffsetOf<NvmlFieldValue>(nameof(NvmlFieldValue.LatencyMicroseconds)));
        Assert.Equal(24, (int)Marshal.OffsetOf<NvmlFieldValue>(nameof(NvmlFieldValue.ValueType)));
        Assert.Equal(28, (int)Marshal.OffsetOf<NvmlFieldValue>(nameof(NvmlFieldValue.Result)));
        Assert.Equal(32, (int)Marshal.OffsetOf<NvmlFieldValue>(nameof(NvmlFieldValue.Value)));
    }

    [Fact]
    public void The_unsigned_int_member_is_the_low_half_of_the_union()
    {
        var field = new NvmlFieldValue { Value = 0xDEADBEEF_0009C400ul };
        Assert.Equal(640_000u, field.UnsignedValue); // 640 W in mW
    }
}
