namespace Sage.Cuda;

/// <summary>
/// One stream-ordered allocation carved into typed buffers, each at a multiple of <see cref="Alignment"/> bytes, for
/// per-call buffers that live and die together (the pre-processing's outputs and scratch). Against one
/// cuMemAllocAsync and one release per buffer, it makes one of each per call: an allocation also sets the context, and a
/// release pushes and pops it around cuMemFreeAsync, so the nine buffers of a default d = 128 pre-processing cost 45
/// driver calls of host time where the arena costs 5.
/// Size it with <see cref="Plan"/> over the buffers that will be taken (each footprint is a whole number of alignment
/// units, so the order does not change the total); <see cref="Take{T}"/> refuses to pass the end.
/// </summary>
public sealed class DeviceArena : IDisposable
{
    /// <summary>Every buffer starts at a multiple of this many bytes (what cudaMalloc guarantees: TMA and vector loads need 16).</summary>
    public const int Alignment = 256;

    private readonly DeviceBuffer<byte> block;
    private long next;

    private DeviceArena(DeviceBuffer<byte> block) => this.block = block;

    /// <summary>Allocates <paramref name="bytes"/> in stream order on <paramref name="stream"/> (null: legacy default stream).</summary>
    public static DeviceArena Allocate(CudaContext context, long bytes, CudaStream? stream) =>
        new(DeviceBuffer<byte>.AllocateStreamOrdered(context, bytes, stream));

    /// <summary>Bytes the arena holds.</summary>
    public long SizeInBytes => block.SizeInBytes;

    /// <summary>Bytes taken so far (aligned).</summary>
    public long Taken => next;

    /// <summary>The bytes <paramref name="count"/> elements of <typeparamref name="T"/> occupy, rounded up to <see cref="Alignment"/>.</summary>
    public static unsafe long Footprint<T>(long count) where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > (long.MaxValue - Alignment) / sizeof(T))
            throw new ArgumentOutOfRangeException(nameof(count), count, $"{count} elements of {sizeof(T)} bytes overflow a 64-bit byte count");
        return (count * sizeof(T) + Alignment - 1) / Alignment * Alignment;
    }

    /// <summary>The next <paramref name="count"/> elements (an empty buffer for 0), a view that the arena keeps owning.</summary>
    public DeviceBuffer<T> Take<T>(long count) where T : unmanaged
    {
        long bytes = Footprint<T>(count);
        if (next + bytes > block.SizeInBytes)
            throw new InvalidOperationException(
                $"The arena holds {block.SizeInBytes} bytes, {next} taken; {count} elements of {typeof(T).Name} need {bytes} more (was every buffer taken in the plan?).");
        var view = DeviceBuffer<T>.ViewOf(block, next, count);
        next += bytes;
        return view;
    }

    /// <summary>Queues the release on the stream it was allocated on; every buffer taken becomes unusable.</summary>
    public void Dispose() => block.Dispose();

    /// <summary>The size of an arena, summed over the buffers it will hold.</summary>
    public sealed class Plan
    {
        /// <summary>Bytes planned so far.</summary>
        public long Bytes { get; private set; }

        /// <summary>Adds <paramref name="count"/> elements of <typeparamref name="T"/>; returns this plan.</summary>
        public Plan Add<T>(long count) where T : unmanaged
        {
            Bytes = checked(Bytes + Footprint<T>(count));
            return this;
        }
    }
}
