namespace Sage.Cuda;

/// <summary>
/// Where the stream-ordered allocations queued on a capturing stream go (<see cref="CudaStream.CaptureWorkspace"/>), so
/// that a captured graph holds no allocation or release nodes. Captured allocation nodes would give each graph memory of
/// the driver's graph pool, which only cuDeviceGraphMemTrim returns and which the driver may share and remap between
/// graphs; a workspace is ordinary pool memory whose size the caller measures, limits and reports, and releases in stream
/// order when it drops the graph. A <see cref="Measuring"/> workspace passes each allocation through and adds up its
/// footprint (for a rehearsal capture that is then dropped); a workspace over a block (<see cref="Over"/>) hands out
/// consecutive views of it, each at a multiple of <see cref="DeviceArena.Alignment"/>, which outlive the capture: the
/// graph's kernels use them on every replay, and the block's owner frees it after the last one.
/// </summary>
internal sealed class GraphWorkspace
{
    private readonly DeviceBuffer<byte>? block;

    private GraphWorkspace(DeviceBuffer<byte>? block) => this.block = block;

    /// <summary>Passes allocations through and sums their footprints in <see cref="Bytes"/>.</summary>
    public static GraphWorkspace Measuring() => new(null);

    /// <summary>Carves allocations out of <paramref name="block"/>, in order.</summary>
    public static GraphWorkspace Over(DeviceBuffer<byte> block)
    {
        ArgumentNullException.ThrowIfNull(block);
        return new GraphWorkspace(block);
    }

    /// <summary>Bytes measured or carved so far (aligned footprints).</summary>
    public long Bytes { get; private set; }

    /// <summary>
    /// The allocation of <paramref name="count"/> elements that the capture asked for: <paramref name="passThrough"/>'s
    /// (measuring) or the next view of the block.
    /// </summary>
    internal DeviceBuffer<T> Allocate<T>(long count, Func<DeviceBuffer<T>> passThrough) where T : unmanaged
    {
        long footprint = DeviceArena.Footprint<T>(count);
        if (block is null)
        {
            var buffer = passThrough();
            Bytes += footprint;
            return buffer;
        }
        if (Bytes + footprint > block.SizeInBytes)
            throw new InvalidOperationException(
                $"The capture's allocations pass the workspace of {block.SizeInBytes} bytes ({Bytes} taken, {footprint} more asked): the call " +
                "allocated more than its rehearsal did.");
        var view = DeviceBuffer<T>.ViewOf(block, Bytes, count);
        Bytes += footprint;
        return view;
    }
}
