using Sage.Cuda.Preprocessing;

namespace Sage.Cuda;

/// <summary>
/// A stream-ordered device buffer of FP16/BF16 bit patterns or FP32 values together with its <see cref="DeviceTensor"/>
/// view (the host path of <see cref="CudaAttention"/>: one per input and output of a call).
/// </summary>
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

    /// <summary>Allocates on <paramref name="stream"/> and queues the upload of <paramref name="t"/> there.</summary>
    public static DeviceInput Upload(CudaContext context, HostTensor t, CudaStream stream)
    {
        var input = Allocate(context, t.ElementType, t.Length, stream);
        try
        {
            if (input._single is not null) input._single.EnqueueCopyFrom(t.Single, stream);
            else input._bits!.EnqueueCopyFrom(t.Bits16, stream);
            return input;
        }
        catch
        {
            input.Dispose();
            throw;
        }
    }

    public static DeviceInput Allocate(CudaContext context, ElementType type, long count, CudaStream stream)
    {
        if (type == ElementType.Float32)
        {
            var buffer = DeviceBuffer<float>.AllocateStreamOrdered(context, count, stream);
            return new DeviceInput(buffer, null, DeviceTensor.From(buffer));
        }
        var bits = DeviceBuffer<ushort>.AllocateStreamOrdered(context, count, stream);
        return new DeviceInput(null, bits, DeviceTensor.From(bits, type));
    }

    /// <summary>The first <paramref name="count"/> elements as a host tensor of <paramref name="shape"/>, after the work on <paramref name="stream"/>.</summary>
    public HostTensor Download(int[] shape, long count, CudaStream stream)
    {
        if (_single is not null)
        {
            var values = new float[count];
            if (count > 0) _single.CopyTo(values, stream);
            return HostTensor.FromSingle(values, shape);
        }
        var bits = new ushort[count];
        if (count > 0) _bits!.CopyTo(bits, stream);
        return HostTensor.FromBits(Tensor.ElementType, bits, shape);
    }

    public void Dispose()
    {
        _single?.Dispose();
        _bits?.Dispose();
    }
}
