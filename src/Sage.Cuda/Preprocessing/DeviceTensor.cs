namespace Sage.Cuda.Preprocessing;

/// <summary>
/// An attention input (Q, K or V) in device memory: a dense row-major tensor of FP16/BF16 bit patterns or FP32
/// values, in the problem's layout (HND or NHD). The buffer it views must outlive the kernels that read it.
/// </summary>
public readonly record struct DeviceTensor(ulong Pointer, long Count, ElementType ElementType)
{
    /// <summary>An FP32 tensor.</summary>
    public static DeviceTensor From(DeviceBuffer<float> buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        return new DeviceTensor(buffer.Pointer, buffer.Count, ElementType.Float32);
    }

    /// <summary>An FP16 or BF16 tensor held as raw 16-bit patterns.</summary>
    public static DeviceTensor From(DeviceBuffer<ushort> buffer, ElementType elementType)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (elementType == ElementType.Float32)
            throw new ArgumentException("A buffer of 16-bit patterns holds Float16 or BFloat16 elements, not Float32.", nameof(elementType));
        return new DeviceTensor(buffer.Pointer, buffer.Count, elementType);
    }
}
