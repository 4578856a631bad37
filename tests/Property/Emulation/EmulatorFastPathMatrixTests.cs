using Sage.Emulation;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// Every option combination (PV mode × QK format × granularity × K/Q/V smoothing × causal) on one small GQA problem
/// with odd lengths, a query length ≠ key length, zero Q rows, a zero V channel and a biased K: the emulator with its
/// fast paths equals the emulator that runs every PV step through the tensor-core model, bit for bit (output and LSE).
/// </summary>
public class EmulatorFastPathMatrixTests
{
    public static TheoryData<PvAccumulation, QkFormat, QuantGranularity> Modes()
    {
        var data = new TheoryData<PvAccumulation, QkFormat, QuantGranularity>();
        foreach (var mode in Enum.GetValues<PvAccumulation>())
        foreach (var format in Enum.GetValues<QkFormat>())
        foreach (var granularity in Enum.GetValues<QuantGranularity>())
            data.Add(mode, format, granularity);
        return data;
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void FastPathsEqualTheModel(PvAccumulation mode, QkFormat format, QuantGranularity granularity)
    {
        var fast = new EmulatedAttention();
        var model = new EmulatedAttention(PvModelSet.Measured(allowFastPath: false));
        for (int variant = 0; variant < 16; variant++)
        {
            bool causal = (variant & 1) != 0, smoothK = (variant & 2) != 0, smoothQ = (variant & 4) != 0, smoothV = (variant & 8) != 0;
            var shape = new AttentionShape(1, 4, 2, 147, 203, 64);
            var problem = new AttentionProblem(shape, TensorLayout.HND, causal, returnLse: true);
            var options = new SageOptions
            {
                PvAccumulation = mode, QkFormat = format, Granularity = granularity,
                SmoothK = smoothK, SmoothQ = smoothQ, SmoothV = smoothV, OutputType = ElementType.Float32,
            };
            var (q, k, v) = Inputs(problem, seed: variant * 31 + (int)mode * 7 + (int)format * 3 + (int)granularity);
            var a = fast.Run(problem, q, k, v, options);
            var b = model.Run(problem, q, k, v, options);
            string what = $"{options} causal={causal}";
            var oa = a.Output.Single;
            var ob = b.Output.Single;
            for (int i = 0; i < oa.Length; i++)
                Assert.True(BitConverter.SingleToUInt32Bits(oa[i]) == BitConverter.SingleToUInt32Bits(ob[i]), $"{what}: output {i}: fast {oa[i]:R}, model {ob[i]:R}");
            for (int i = 0; i < a.Lse!.Length; i++)
                Assert.True(BitConverter.SingleToUInt32Bits(a.Lse[i]) == BitConverter.SingleToUInt32Bits(b.Lse![i]), $"{what}: LSE {i}");
        }
    }

    private static (HostTensor Q, HostTensor K, HostTensor V) Inputs(AttentionProblem problem, int seed)
    {
        var rnd = new Random(seed);
        var shape = problem.Shape;
        int d = shape.HeadDim;
        float[] Fill(int heads, int tokens, double bias, int zeroChannel, int zeroRowEvery)
        {
            var x = new float[heads * tokens * d];
            for (int i = 0; i < x.Length; i++)
            {
                int c = i % d, token = i / d % tokens;
                bool zero = c == zeroChannel || (zeroRowEvery > 0 && token % zeroRowEvery == 0);
                x[i] = zero ? 0f : (float)(Math.Sqrt(-2 * Math.Log(1 - rnd.NextDouble())) * Math.Cos(2 * Math.PI * rnd.NextDouble()) + bias * (c % 5));
            }
            return x;
        }
        var q = Fill(shape.QueryHeads, shape.QueryLength, 0, -1, 7);
        var k = Fill(shape.KeyValueHeads, shape.KeyLength, 2.5, -1, 0);
        var v = Fill(shape.KeyValueHeads, shape.KeyLength, 0.5, 3, 0);
        return (HostTensor.Create(ElementType.Float16, q, shape.QueryShape(problem.Layout)),
            HostTensor.Create(ElementType.Float16, k, shape.KeyValueShape(problem.Layout)),
            HostTensor.Create(ElementType.Float16, v, shape.KeyValueShape(problem.Layout)));
    }
}
