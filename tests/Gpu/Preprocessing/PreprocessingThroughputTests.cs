using Sage.Numerics;
using Sage.Cuda;
using Sage.Cuda.Preprocessing;
using Xunit;

namespace Sage.Gpu.Tests.Preprocessing;

/// <summary>
/// Informational: time of the whole pre-processing (allocation of the outputs included) for realistic sizes, and
/// the bandwidth it implies over the bytes that must move at least once (inputs read, outputs written). Recorded in
/// docs/results/preprocess-2026-11-25.md; the assertions only guard against nonsense.
/// </summary>
public sealed class PreprocessingThroughputTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1, 32, 8, 8192, 128, ElementType.Float16, QuantGranularity.PerThread)]
    [InlineData(1, 32, 32, 8192, 128, ElementType.BFloat16, QuantGranularity.PerBlock)]
    [InlineData(4, 16, 16, 4096, 64, ElementType.Float16, QuantGranularity.PerWarp)]
    public void Preprocessing_throughput(int batch, int queryHeads, int kvHeads, int length, int headDim, ElementType type, QuantGranularity granularity)
    {
        using var context = PreprocessingGpu.ContextOrSkip();
        var problem = new AttentionProblem(new AttentionShape(batch, queryHeads, kvHeads, length, length, headDim), TensorLayout.NHD);
        var options = new SageOptions { Granularity = granularity };
        long qCount = (long)batch * queryHeads * length * headDim, kvCount = (long)batch * kvHeads * length * headDim;
        var random = new Random(7);
        ushort[] Bits(long n)
        {
            var bits = new ushort[n];
            for (long i = 0; i < n; i++) bits[i] = type == ElementType.Float16
                ? BitConverter.HalfToUInt16Bits((Half)(random.NextSingle() * 4 - 2))
                : BFloat16.FromSingle(random.NextSingle() * 4 - 2).Bits;
            return bits;
        }
        using var q = DeviceBuffer<ushort>.Upload(context, Bits(qCount));
        using var k = DeviceBuffer<ushort>.Upload(context, Bits(kvCount));
        using var v = DeviceBuffer<ushort>.Upload(context, Bits(kvCount));
        using var preprocessor = new GpuPreprocessor(context);
        using var start = CudaEvent.Create(context);
        using var end = CudaEvent.Create(context);

        preprocessor.Preprocess(problem, options, DeviceTensor.From(q, type), DeviceTensor.From(k, type), DeviceTensor.From(v, type)).Dispose();
        const int runs = 10;
        var times = new List<float>();
        for (int i = 0; i < runs; i++)
        {
            start.Record();
            using var result = preprocessor.Preprocess(problem, options, DeviceTensor.From(q, type), DeviceTensor.From(k, type), DeviceTensor.From(v, type));
            end.Record();
            times.Add(CudaEvent.ElapsedMilliseconds(start, end));
        }
        times.Sort();
        float median = times[runs / 2];
        long moved = 2 * (qCount + 2 * kvCount) + qCount + 2 * kvCount; // 16-bit inputs read; int8 Q, K and fp8 V written
        double gbps = moved / (median * 1e-3) / 1e9;
        string line = $"throughput B={batch} Hq={queryHeads} Hkv={kvHeads} N={length} d={headDim} {type} {granularity}: " +
                      $"median {median:F3} ms of {runs} (min {times[0]:F3}), {moved / 1e6:F1} MB moved at least once -> {gbps:F0} GB/s ({context.Device.Name})";
        output.WriteLine(line);
        PreprocessingGpu.Report(line);
        Assert.InRange(median, 1e-3f, 10_000f);
    }
}
