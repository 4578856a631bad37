using Sage.Cuda.Handles;
using Sage.Cuda.Interop;

namespace Sage.Cuda;

/// <summary>
/// <see cref="Count"/> elements of <typeparamref name="T"/> in device memory, freed on Dispose (or by the finalizer,
/// as a safety net). <see cref="Allocate"/> uses cuMemAlloc (its release waits for the device);
/// <see cref="AllocateStreamOrdered"/> uses cuMemAllocAsync on a stream and releases with cuMemFreeAsync on that
/// stream, so per-call buffers cost no synchronisation. CopyFrom/CopyTo are synchronous with the host; the Enqueue*
/// methods queue on a stream. A buffer taken from a <see cref="DeviceArena"/> is a view into the arena's one allocation:
/// its Dispose does nothing, and it is unusable (ObjectDisposedException) once the arena is disposed.
/// </summary>
public sealed unsafe class DeviceBuffer<T> : IDisposable where T : unmanaged
{
    private readonly DeviceMemoryHandle? memory; // null for an empty buffer: cuMemAlloc rejects 0 bytes
    private readonly ulong offset; // bytes into memory (views into an arena)
    private readonly bool ownsMemory;

    private DeviceBuffer(CudaContext context, DeviceMemoryHandle? memory, long count, ulong offset = 0, bool ownsMemory = true)
    {
        Context = context;
        this.memory = memory;
        Count = count;
        this.offset = offset;
        this.ownsMemory = ownsMemory;
    }

    /// <summary>
    /// <paramref name="count"/> elements at <paramref name="byteOffset"/> into <paramref name="block"/>'s memory, which
    /// keeps owning it (<see cref="DeviceArena"/>).
    /// </summary>
    internal static DeviceBuffer<T> ViewOf(DeviceBuffer<byte> block, long byteOffset, long count)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentOutOfRangeException.ThrowIfNegative(byteOffset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count == 0) return new DeviceBuffer<T>(block.Context, null, 0);
        if (byteOffset + count * sizeof(T) > block.SizeInBytes)
            throw new ArgumentOutOfRangeException(nameof(count), count,
                $"{count} elements of {sizeof(T)} bytes at byte {byteOffset} pass the end of a block of {block.SizeInBytes} bytes.");
        return new DeviceBuffer<T>(block.Context, block.memory, count, block.offset + (ulong)byteOffset, ownsMemory: false);
    }

    /// <summary>The context the memory lives in.</summary>
    public CudaContext Context { get; }

    /// <summary>Number of elements.</summary>
    public long Count { get; }

    /// <summary>Size in bytes.</summary>
    public long SizeInBytes => Count * sizeof(T);

    /// <summary>The device address (0 for an empty buffer).</summary>
    public ulong Pointer
    {
        get
        {
            if (memory is null) return 0;
            ObjectDisposedException.ThrowIf(memory.IsClosed, this);
            return memory.Pointer + offset;
        }
    }

    /// <summary>
    /// Allocates <paramref name="count"/> elements (contents undefined). Out of memory raises a
    /// <see cref="CudaException"/> that states the bytes asked and the memory free at that moment.
    /// </summary>
    public static DeviceBuffer<T> Allocate(CudaContext context, long count)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > long.MaxValue / sizeof(T))
            throw new ArgumentOutOfRangeException(nameof(count), count, $"{count} elements of {sizeof(T)} bytes overflow a 64-bit byte count");
        if (count == 0) return new DeviceBuffer<T>(context, null, 0);

        long bytes = count * sizeof(T);
        context.MakeCurrent();
        ulong pointer;
        CuResult result = CuDriver.cuMemAlloc_v2(&pointer, (nuint)bytes);
        if (result != CuResult.CUDA_SUCCESS)
            throw CudaCheck.Failure(result, $"cuMemAlloc_v2({bytes})", AllocationDetail(context, count, bytes));
        return new DeviceBuffer<T>(context, new DeviceMemoryHandle(context.Handle, pointer), count);
    }

    /// <summary>
    /// Allocates <paramref name="count"/> elements in stream order on <paramref name="stream"/> (null: the legacy default
    /// stream) from the device's default memory pool. The memory may be used by work queued on that stream after this
    /// call (or on other streams once they wait for it); Dispose queues its release on the same stream, so the stream
    /// must outlive the buffer. On a stream being captured with a <see cref="CudaStream.CaptureWorkspace"/>, the workspace
    /// serves the allocation instead.
    /// </summary>
    public static DeviceBuffer<T> AllocateStreamOrdered(CudaContext context, long count, CudaStream? stream)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count > long.MaxValue / sizeof(T))
            throw new ArgumentOutOfRangeException(nameof(count), count, $"{count} elements of {sizeof(T)} bytes overflow a 64-bit byte count");
        if (count == 0) return new DeviceBuffer<T>(context, null, 0);
        // A capture that keeps its graph's buffers out of the graph (CudaStream.CaptureWorkspace).
        if (stream?.CaptureWorkspace is { } workspace) return workspace.Allocate(count, () => AllocateInPool(context, count, stream));
        return AllocateInPool(context, count, stream);
    }

    private static DeviceBuffer<T> AllocateInPool(CudaContext context, long count, CudaStream? stream)
    {
        long bytes = count * sizeof(T);
        nint raw = stream?.RawHandle ?? 0;
        context.MakeCurrent();
        ulong pointer;
        CuResult result = CuDriver.cuMemAllocAsync(&pointer, (nuint)bytes, raw);
        GC.KeepAlive(stream);
        if (result != CuResult.CUDA_SUCCESS)
            throw CudaCheck.Failure(result, $"cuMemAllocAsync({bytes})", AllocationDetail(context, count, bytes));
        return new DeviceBuffer<T>(context, new DeviceMemoryHandle(context.Handle, pointer, streamOrdered: true, raw), count);
    }

    /// <summary>Allocates a buffer and fills it from <paramref name="source"/>.</summary>
    public static DeviceBuffer<T> Upload(CudaContext context, ReadOnlySpan<T> source)
    {
        var buffer = Allocate(context, source.Length);
        try
        {
            buffer.CopyFrom(source);
            return buffer;
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    /// <summary>Copies <paramref name="source"/> into the first source.Length elements.</summary>
    public void CopyFrom(ReadOnlySpan<T> source) => CopyFrom(source, 0);

    /// <summary>Copies <paramref name="source"/> into elements [destinationOffset, destinationOffset + source.Length).</summary>
    public void CopyFrom(ReadOnlySpan<T> source, long destinationOffset)
    {
        CheckRange(destinationOffset, source.Length, nameof(source), nameof(destinationOffset));
        if (source.IsEmpty) return;
        Context.MakeCurrent();
        fixed (T* host = source)
            CudaCheck.ThrowIfFailed(CuDriver.cuMemcpyHtoD_v2(ElementAddress(destinationOffset), host, (nuint)((long)source.Length * sizeof(T))));
    }

    /// <summary>
    /// Queues a copy of <paramref name="source"/> into the first source.Length elements on <paramref name="stream"/>
    /// (null: legacy default stream). From pageable (managed) memory the driver stages the data before returning, so
    /// the span may be reused at once.
    /// </summary>
    public void EnqueueCopyFrom(ReadOnlySpan<T> source, CudaStream? stream)
    {
        CheckRange(0, source.Length, nameof(source), "destinationOffset");
        if (source.IsEmpty) return;
        Context.MakeCurrent();
        fixed (T* host = source)
            CudaCheck.ThrowIfFailed(CuDriver.cuMemcpyHtoDAsync_v2(Pointer, host, (nuint)((long)source.Length * sizeof(T)), stream?.RawHandle ?? 0));
        GC.KeepAlive(stream);
    }

    /// <summary>
    /// Copies the first destination.Length elements into <paramref name="destination"/> in the order of
    /// <paramref name="stream"/> (after the work queued on it) and waits for that copy.
    /// </summary>
    public void CopyTo(Span<T> destination, CudaStream? stream)
    {
        CheckRange(0, destination.Length, nameof(destination), "sourceOffset");
        if (destination.IsEmpty) return;
        Context.MakeCurrent();
        nint raw = stream?.RawHandle ?? 0;
        fixed (T* host = destination)
        {
            CudaCheck.ThrowIfFailed(CuDriver.cuMemcpyDtoHAsync_v2(host, Pointer, (nuint)((long)destination.Length * sizeof(T)), raw));
            CudaCheck.ThrowIfFailed(CuDriver.cuStreamSynchronize(raw)); // the pinned span must stay fixed until the copy ends
        }
        GC.KeepAlive(stream);
    }

    /// <summary>Copies the first destination.Length elements into <paramref name="destination"/>; waits for earlier work on the legacy default stream (and on blocking streams).</summary>
    public void CopyTo(Span<T> destination) => CopyTo(destination, 0);

    /// <summary>Copies elements [sourceOffset, sourceOffset + destination.Length) into <paramref name="destination"/>.</summary>
    public void CopyTo(Span<T> destination, long sourceOffset)
    {
        CheckRange(sourceOffset, destination.Length, nameof(destination), nameof(sourceOffset));
        if (destination.IsEmpty) return;
        Context.MakeCurrent();
        fixed (T* host = destination)
            CudaCheck.ThrowIfFailed(CuDriver.cuMemcpyDtoH_v2(host, ElementAddress(sourceOffset), (nuint)((long)destination.Length * sizeof(T))));
    }

    /// <summary>The whole buffer, copied to a new array.</summary>
    public T[] ToArray()
    {
        var result = new T[checked((int)Count)];
        CopyTo(result);
        return result;
    }

    /// <summary>Sets every byte to <paramref name="value"/> (0xFF poisons floats with NaN, so unwritten outputs show).</summary>
    public void FillBytes(byte value)
    {
        if (Count == 0) return;
        Context.MakeCurrent();
        CudaCheck.ThrowIfFailed(CuDriver.cuMemsetD8_v2(Pointer, value, (nuint)SizeInBytes));
    }

    /// <summary>Queues setting every byte to <paramref name="value"/> on <paramref name="stream"/> (null: legacy default stream).</summary>
    public void EnqueueFill(byte value, CudaStream? stream)
    {
        if (Count == 0) return;
        Context.MakeCurrent();
        CudaCheck.ThrowIfFailed(CuDriver.cuMemsetD8Async(Pointer, value, (nuint)SizeInBytes, stream?.RawHandle ?? 0));
        GC.KeepAlive(stream);
    }

    /// <summary>Passes the buffer to a kernel as its device pointer.</summary>
    public static implicit operator KernelArgument(DeviceBuffer<T> buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return KernelArgument.DevicePointer(buffer.Pointer);
    }

    public void Dispose()
    {
        if (ownsMemory) memory?.Dispose();
    }

    private ulong ElementAddress(long index) => Pointer + (ulong)(index * sizeof(T));

    private void CheckRange(long offset, int length, string spanName, string offsetName)
    {
        if (offset < 0 || offset > Count)
            throw new ArgumentOutOfRangeException(offsetName, offset, $"offset must be in [0, {Count}] for a buffer of {Count} elements");
        if (length > Count - offset)
            throw new ArgumentException($"{spanName} has {length} elements but the device buffer holds {Count - offset} from offset {offset}", spanName);
    }

    private static string AllocationDetail(CudaContext context, long count, long bytes)
    {
        string free;
        try
        {
            var info = context.GetMemoryInfo();
            free = $"{info.FreeBytes} bytes free of {info.TotalBytes}";
        }
        catch (CudaException)
        {
            free = "free memory unknown";
        }
        return $"asked for {bytes} bytes ({count} × {typeof(T).Name} of {sizeof(T)} bytes) on device {context.Device.Ordinal} ({context.Device.Name}); {free}";
    }
}
