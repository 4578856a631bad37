using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Sage.Cuda;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>The arena's sizing (no device needed): every buffer at a multiple of 256 bytes, the plan the sum of them.</summary>
public sealed class DeviceArenaPlanTests
{
    [Theory]
    [InlineData(0L, 0L)]
    [InlineData(1L, 256L)]
    [InlineData(64L, 256L)]
    [InlineData(65L, 512L)]
    [InlineData(1000L, 4096L)]
    public void Footprint_of_floats_rounds_up_to_the_alignment(long count, long bytes) =>
        Assert.Equal(bytes, DeviceArena.Footprint<float>(count));

    [Property(MaxTest = 300)]
    public void Plan_is_the_sum_of_aligned_footprints(NonNegativeInt a, NonNegativeInt b, NonNegativeInt c)
    {
        var plan = new DeviceArena.Plan().Add<sbyte>(a.Get).Add<double>(b.Get).Add<int>(c.Get);
        long expected = Aligned(a.Get) + Aligned(8L * b.Get) + Aligned(4L * c.Get);
        Assert.Equal(expected, plan.Bytes);
        Assert.Equal(0, plan.Bytes % DeviceArena.Alignment);
        Assert.True(plan.Bytes >= a.Get + 8L * b.Get + 4L * c.Get);
    }

    [Fact]
    public void Negative_and_overflowing_counts_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DeviceArena.Footprint<float>(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => DeviceArena.Footprint<double>(long.MaxValue / 4));
        var plan = new DeviceArena.Plan().Add<byte>(long.MaxValue - 4096);
        Assert.Throws<OverflowException>(() => plan.Add<byte>(long.MaxValue - 4096));
    }

    private static long Aligned(long bytes) => (bytes + 255) / 256 * 256;
}
