using Xunit;
using Sage.Cuda;

namespace Sage.Gpu.Tests.Interop;

public sealed class KernelLaunchTests(ITestOutputHelper output)
{
    [Fact]
    public void Vector_add_round_trips_fresh_random_data_bit_for_bit()
    {
        using var context = InteropGpu.ContextOrSkip();
        int seed = Random.Shared.Next();
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        const int n = 1_000_003; // not a multiple of the block size: the tail block is partial

        float[] a = RandomFloats(random, n);
        float[] b = RandomFloats(random, n);
        using var deviceA = DeviceBuffer<float>.Upload(context, a);
        using var deviceB = DeviceBuffer<float>.Upload(context, b);
        // One element more than the kernel may write, all poisoned: unwritten outputs and a bounds
        // overrun both show as the poison pattern in the wrong place.
        using var deviceC = DeviceBuffer<float>.Allocate(context, n + 1);
        deviceC.FillBytes(0xFF);

        using var module = InteropGpu.LoadInteropKernel(context, "vector_add.cu");
        module.GetFunction("vector_add").Launch(Dim3.Covering(n, 256), 256, 0, null, deviceA, deviceB, deviceC, (long)n);
        context.Synchronize();
        float[] c = deviceC.ToArray();

        for (int i = 0; i < n; i++)
        {
            uint expected = BitConverter.SingleToUInt32Bits(a[i] + b[i]);
            uint actual = BitConverter.SingleToUInt32Bits(c[i]);
            if (expected != actual)
                Assert.Fail($"seed {seed}: c[{i}] = 0x{actual:x8}, expected 0x{expected:x8} ({a[i]:R} + {b[i]:R})");
        }
        Assert.Equal(0xFFFFFFFFu, BitConverter.SingleToUInt32Bits(c[n]));
    }

    [Fact]
    public void Every_argument_type_reaches_the_kernel_intact()
    {
        using var context = InteropGpu.ContextOrSkip();
        var random = new Random(Random.Shared.Next());
        int i = random.Next(int.MinValue, int.MaxValue);
        uint u = (uint)random.NextInt64(0, uint.MaxValue);
        long l = random.NextInt64(long.MinValue, long.MaxValue);
        ulong ul = (ulong)random.NextInt64() * 3UL;
        const float f = 1.5f; // its e4m3 encoding 0x3c is checked too
        double d = random.NextDouble() * -1e300;
        Half h = (Half)(-2.75f);

        using var echo = DeviceBuffer<ulong>.Allocate(context, 8);
        echo.FillBytes(0xAB);
        using var module = InteropGpu.LoadInteropKernel(context, "argument_echo.cu");
        var function = module.GetFunction("argument_echo");
        Assert.Equal([8, 4, 4, 8, 8, 4, 8, 2], function.ParameterSizes);

        function.Launch(1, 32, 0, null, echo, i, u, l, ul, f, d, h);
        ulong[] got = echo.ToArray();

        Assert.Equal((ulong)(long)i, got[0]);
        Assert.Equal(u, got[1]);
        Assert.Equal((ulong)l, got[2]);
        Assert.Equal(ul, got[3]);
        Assert.Equal(BitConverter.SingleToUInt32Bits(f), got[4]);
        Assert.Equal(BitConverter.DoubleToUInt64Bits(d), got[5]);
        Assert.Equal(BitConverter.HalfToUInt16Bits(h), got[6]);
        Assert.Equal(0x3CUL, got[7]);
    }

    [Fact]
    public void Wrong_argument_list_is_refused_before_launch()
    {
        using var context = InteropGpu.ContextOrSkip();
        using var module = InteropGpu.LoadInteropKernel(context, "vector_add.cu");
        var function = module.GetFunction("vector_add");
        using var buffer = DeviceBuffer<float>.Allocate(context, 4);

        var missing = Assert.Throws<ArgumentException>(() => function.Launch(1, 4, 0, null, buffer, buffer, buffer));
        Assert.Contains("takes 4 parameters", missing.Message);
        var narrow = Assert.Throws<ArgumentException>(() => function.Launch(1, 4, 0, null, buffer, buffer, buffer, 4));
        Assert.Contains("argument 3", narrow.Message);
        Assert.Contains("int of 4 bytes", narrow.Message);
    }

    [Fact]
    public void Missing_kernel_name_is_a_cuda_error_naming_it()
    {
        using var context = InteropGpu.ContextOrSkip();
        using var module = InteropGpu.LoadInteropKernel(context, "vector_add.cu");
        var e = Assert.Throws<CudaException>(() => module.GetFunction("no_such_kernel"));
        Assert.Equal("CUDA_ERROR_NOT_FOUND", e.ErrorName);
        Assert.Equal(500, e.ResultCode);
        Assert.StartsWith("cuModuleGetFunction(\"no_such_kernel\") failed: CUDA_ERROR_NOT_FOUND (", e.Message);
    }

    [Fact]
    public void Large_dynamic_shared_memory_needs_the_opt_in()
    {
        using var context = InteropGpu.ContextOrSkip();
        const int n = 16 * 1024; // 64 KiB of floats: above the 48 KiB default
        const int bytes = n * sizeof(float);
        float[] input = [.. Enumerable.Range(0, n).Select(i => (float)i)];
        using var deviceIn = DeviceBuffer<float>.Upload(context, input);
        using var deviceOut = DeviceBuffer<float>.Allocate(context, n);
        deviceOut.FillBytes(0xFF);
        using var module = InteropGpu.LoadInteropKernel(context, "shared_reverse.cu");
        var function = module.GetFunction("shared_reverse");

        var refused = Assert.Throws<CudaException>(() => function.Launch(1, 256, bytes, null, deviceIn, deviceOut, n));
        output.WriteLine(refused.Message);
        Assert.Equal("CUDA_ERROR_INVALID_VALUE", refused.ErrorName);
        Assert.StartsWith("cuLaunchKernel(shared_reverse) failed: CUDA_ERROR_INVALID_VALUE (", refused.Message);

        function.MaxDynamicSharedMemory = bytes;
        Assert.Equal(bytes, function.MaxDynamicSharedMemory);
        function.Launch(1, 256, bytes, null, deviceIn, deviceOut, n);
        float[] result = deviceOut.ToArray();
        Assert.Equal(input.Reverse(), result);
    }

    [Fact]
    public void Launch_on_a_stream_completes_at_stream_synchronize()
    {
        using var context = InteropGpu.ContextOrSkip();
        const int n = 4096;
        using var stream = CudaStream.Create(context);
        float[] a = [.. Enumerable.Range(0, n).Select(i => i * 0.5f)];
        using var deviceA = DeviceBuffer<float>.Upload(context, a);
        using var deviceC = DeviceBuffer<float>.Allocate(context, n);
        deviceC.FillBytes(0xFF);
        using var module = InteropGpu.LoadInteropKernel(context, "vector_add.cu");

        module.GetFunction("vector_add").Launch(Dim3.Covering(n, 128), 128, 0, stream, deviceA, deviceA, deviceC, (long)n);
        stream.Synchronize();

        Assert.Equal(a.Select(x => x + x), deviceC.ToArray());
    }

    [Fact]
    public void Offset_copies_touch_only_their_range()
    {
        using var context = InteropGpu.ContextOrSkip();
        using var buffer = DeviceBuffer<int>.Allocate(context, 10);
        buffer.FillBytes(0);
        buffer.CopyFrom([7, 8, 9], destinationOffset: 6);
        Assert.Equal([0, 0, 0, 0, 0, 0, 7, 8, 9, 0], buffer.ToArray());

        int[] middle = new int[4];
        buffer.CopyTo(middle, sourceOffset: 5);
        Assert.Equal([0, 7, 8, 9], middle);

        Assert.Throws<ArgumentException>(() => buffer.CopyFrom([1, 2], destinationOffset: 9));
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.CopyTo(middle, sourceOffset: -1));
        Assert.Throws<ArgumentException>(() => buffer.CopyFrom(new int[11]));
    }

    /// <summary>Half finite random bit patterns (every exponent, subnormals, both signs), half ordinary values in [-1, 1).</summary>
    private static float[] RandomFloats(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            float value;
            if ((i & 1) == 0)
            {
                do value = BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32));
                while (!float.IsFinite(value));
            }
            else
            {
                value = random.NextSingle() * 2 - 1;
            }
            values[i] = value;
        }
        return values;
    }
}
