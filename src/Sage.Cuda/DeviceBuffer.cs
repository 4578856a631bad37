using Sage.Cuda.Handles;
using Sage.Cuda.Interop;

namespace Sage.Cuda;

/// <summary>
/// <see cref="Count"/> elements of <typeparamref name="T"/> in device memory (cuMemAlloc), freed on Dispose
/// (or by the finalizer, as a safety net). Copies are synchronous with the host.
/// </summary>
public sealed unsafe class DeviceBuffer<T> : IDisposable where T : unmanaged
{
    private readonly DeviceMemoryHandle? memory; // null for an empty buffer: cuMemAlloc rejects 0 bytes

    private DeviceBuffer(CudaContext context, DeviceMemoryHandle? memory, long count)
    {
        Context = context;
        this.memory = memory;
        Count = count;
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
            return memory.Pointer;
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
    public void CopyFrom(ReadOnlySpan<T> source)
    {
        if (source.Length > Count)
            throw new ArgumentException($"source has {source.Length} elements but the device buffer holds {Count}", nameof(source));
        if (source.IsEmpty) return;
        Context.MakeCurrent();
        fixed (T* host = source)
            CudaCheck.ThrowIfFailed(CuDriver.cuMemcpyHtoD_v2(Pointer, host, (nuint)((long)source.Length * sizeof(T))));
    }

    /// <summary>Copies the first destination.Length elements into <paramref name="destination"/>; waits for earlier work on the legacy default stream (and on blocking streams).</summary>
    public void CopyTo(Span<T> destination)
    {
        if (destination.Length > Count)
            throw new ArgumentException($"destination has {destination.Length} elements but the device buffer holds {Count}", nameof(destination));
        if (destination.IsEmpty) return;
        Context.MakeCurrent();
        fixed (T* host = destination)
            CudaCheck.ThrowIfFailed(CuDriver.cuMemcpyDtoH_v2(host, Pointer, (nuint)((long)destination.Length * sizeof(T))));
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

    /// <summary>Passes the buffer to a kernel as its device pointer.</summary>
    public static implicit operator KernelArgument(DeviceBuffer<T> buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return KernelArgument.DevicePointer(buffer.Pointer);
    }

    public void Dispose() => memory?.Dispose();

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
