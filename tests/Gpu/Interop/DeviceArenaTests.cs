using Sage.Cuda;
using Xunit;

namespace Sage.Gpu.Tests.Interop;

/// <summary>
/// <see cref="DeviceArena"/>: buffers carved from one stream-ordered allocation are aligned, disjoint and usable; a
/// view's Dispose leaves the memory to the arena; the arena's Dispose ends every view; taking past the end is refused.
/// </summary>
[Collection(nameof(DeviceMemoryCollection))]
public sealed class DeviceArenaTests
{
    [Fact]
    public void Buffers_are_aligned_disjoint_and_hold_their_data()
    {
        using var context = InteropGpu.ContextOrSkip();
        var plan = new DeviceArena.Plan().Add<byte>(3).Add<float>(1000).Add<int>(0).Add<double>(17);
        using var arena = DeviceArena.Allocate(context, plan.Bytes, null);
        var bytes = arena.Take<byte>(3);
        var floats = arena.Take<float>(1000);
        var empty = arena.Take<int>(0);
        var doubles = arena.Take<double>(17);
        Assert.Equal(plan.Bytes, arena.Taken);
        Assert.Equal(0UL, empty.Pointer);
        foreach (ulong p in new[] { bytes.Pointer, floats.Pointer, doubles.Pointer })
            Assert.Equal(0UL, p % DeviceArena.Alignment);
        Assert.True(bytes.Pointer + 3 <= floats.Pointer && floats.Pointer + 4000 <= doubles.Pointer);

        float[] values = Enumerable.Range(0, 1000).Select(i => i * 0.5f).ToArray();
        double[] wide = Enumerable.Range(0, 17).Select(i => -i * 1e300).ToArray();
        floats.CopyFrom(values);
        doubles.CopyFrom(wide);
        bytes.CopyFrom(new byte[] { 1, 2, 3 });
        floats.Dispose(); // a view: the arena keeps the memory
        Assert.Equal(values, floats.ToArray());
        Assert.Equal(wide, doubles.ToArray());
        Assert.Equal(new byte[] { 1, 2, 3 }, bytes.ToArray());
    }

    [Fact]
    public void Taking_past_the_end_is_refused_and_a_disposed_arena_ends_its_views()
    {
        using var context = InteropGpu.ContextOrSkip();
        var arena = DeviceArena.Allocate(context, new DeviceArena.Plan().Add<float>(64).Bytes, null);
        var view = arena.Take<float>(64);
        var e = Assert.Throws<InvalidOperationException>(() => arena.Take<byte>(1));
        Assert.Contains("holds 256 bytes, 256 taken", e.Message);
        arena.Dispose();
        context.Synchronize();
        Assert.Throws<ObjectDisposedException>(() => view.Pointer);
    }
}
