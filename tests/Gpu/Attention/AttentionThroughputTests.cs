using Sage.Cuda;
using Sage.Cuda.Preprocessing;
using Xunit;

namespace Sage.Gpu.Tests.Attention;

/// <summary>
/// Informational speed of the v1 kernel (no assertion on speed): B=4, H=32, d=128, FP16 inputs, CUDA events, median of
/// 5 after one warm-up; kernel-only (main loop on pre-processed inputs) and end-to-end (pre-processing included).
/// TFLOPS = 4·B·H·N²·d / t, halved for causal. Lines go to the test output and attention-counts.txt.
/// </summary>
public sealed class AttentionThroughputTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(4096, false)]
    [InlineData(4096, true)]
    [InlineData(16384, false)]
    [InlineData(16384, true)]
    public void Throughput_B4_H32_d128(int n, bool causal)
    {
        using var context = AttentionGpu.ContextOrSkip();
        const int b = 4, h = 32, d = 128;
        var problem = new AttentionProblem(new AttentionShape(b, h, h, n, n, d), TensorLayout.HND, causal);
        var options = SageOptions.Default;
        long count = (long)b * h * n * d;
        using var q = RandomHalf(context, count, 1);
        using var k = RandomHalf(context, count, 2);
        using var v = RandomHalf(context, count, 3);
        using var o = DeviceBuffer<ushort>.Allocate(context, count);
        var qt = DeviceTensor.From(q, ElementType.Float16);
        var kt = DeviceTensor.From(k, ElementType.Float16);
        var vt = DeviceTensor.From(v, ElementType.Float16);
        var ot = DeviceTensor.From(o, ElementType.Float16);
        using var attention = new CudaAttention(context);
        using var pre = new GpuPreprocessor(context);
        using var inputs = pre.Preprocess(problem, options, qt, kt, vt);
        using var start = CudaEvent.Create(context);
        using var end = CudaEvent.Create(context);

        double flops = 4.0 * b * h * (double)n * n * d * (causal ? 0.5 : 1.0);
        float Time(Action a)
        {
            a();
            context.Synchronize();
            var times = new List<float>();
            for (int i = 0; i < 5; i++)
            {
                start.Record();
                a();
                end.Record();
                end.Synchronize();
                times.Add(CudaEvent.ElapsedMilliseconds(start, end));
            }
            times.Sort();
            return times[times.Count / 2];
        }
        float kernel = Time(() => attention.LaunchMainLoop(problem, options, inputs, qt, ot, 0));
        float e2e = Time(() => attention.Run(problem, options, qt, kt, vt, ot, 0));
        string line = $"throughput N={n} {(causal ? "causal" : "full")} B=4 H=32 d=128 Fp16TwoLevel: kernel-only {kernel:F3} ms = {flops / kernel / 1e9:F1} TFLOPS; end-to-end {e2e:F3} ms = {flops / e2e / 1e9:F1} TFLOPS ({context.Device.Name})";
        output.WriteLine(line);
        AttentionGpu.Report(line);
    }

    private static DeviceBuffer<ushort> RandomHalf(CudaContext context, long count, int seed)
    {
        var bits = new ushort[count];
        Parallel.For(0, 64, part =>
        {
            long from = count * part / 64, to = count * (part + 1) / 64;
            uint x = (uint)(seed * 747796405 + part * 2891336453u + 1);
            for (long i = from; i < to; i++)
            {
                x = x * 1664525u + 1013904223u;
                // roughly N(0,1)-ish: sum of two uniforms in [-1, 1), scaled
                float u = ((x >> 8) & 0xFFFF) / 32768f - 1f + ((x >> 24) / 128f - 1f);
                bits[i] = BitConverter.HalfToUInt16Bits((Half)u);
            }
        });
        return DeviceBuffer<ushort>.Upload(context, bits);
    }
}
