using Sage.Cuda.Preprocessing;

namespace Sage.Cuda;

/// <summary>A device buffer of FP16/BF16 bit patterns or FP32 values together with its <see cref="DeviceTensor"/> view.</summary>
internal sealed class DeviceInput : IDisposable
{
    private readonly DeviceBuffer<float>? _single;
    private readonly DeviceBuffer<ushort>? _bits;

    private DeviceInput(DeviceBuffer<float>? single, DeviceBuffer<ushort>? bits, DeviceTensor tensor)
    {
        _single = single;
        _bits = bits;
        Tensor = tensor;
    }

    public DeviceTensor Tensor { get; }

    public static DeviceInput Upload(CudaContext context, HostTensor t)
    {
        if (t.ElementType == ElementType.Float32)
        {
            var buffer = DeviceBuffer<float>.Upload(context, t.Single);
            return new DeviceInput(buffer, null, DeviceTensor.From(buffer));
        }
        var bits = DeviceBuffer<ushort>.Upload(context, t.Bits16);
        return new DeviceInput(null, bits, DeviceTensor.From(bits, t.ElementType));
    }

    public static DeviceInput Allocate(CudaContext context, ElementType type, long count)
    {
        if (type == ElementType.Float32)
        {
            var buffer = DeviceBuffer<float>.Allocate(context, count);
            return new DeviceInput(buffer, null, DeviceTensor.From(buffer));
        }
        var bits = DeviceBuffer<ushort>.Allocate(context, count);
        return new DeviceInput(null, bits, DeviceTensor.From(bits, type));
    }

    /// <summary>The first <paramref name="count"/> elements as a host tensor of <paramref name="shape"/>.</summary>
    public HostTensor Download(int[] shape, long count)
    {
        if (_single is not null)
        {
            var values = new float[count];
            if (count > 0) _single.CopyTo(values);
            return HostTensor.FromSingle(values, shape);
        }
        var bits = new ushort[count];
        if (count > 0) _bits!.CopyTo(bits);
        return HostTensor.FromBits(Tensor.ElementType, bits, shape);
    }

    public void Dispose()
    {
        _single?.Dispose();
        _bits?.Dispose();
    }
}
