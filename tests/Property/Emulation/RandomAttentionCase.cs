using Sage.Emulation;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// A small random attention problem with inputs, options and adversarial features (zero channels, constant rows,
/// wide magnitudes), derived deterministically from one FsCheck-generated seed so that a failure names its case.
/// </summary>
internal sealed record RandomAttentionCase(AttentionProblem Problem, SageOptions Options, HostTensor Q, HostTensor K, HostTensor V, string Description)
{
    public static readonly EmulatedAttention Emulator = new();

    public override string ToString() => Description;

    public static RandomAttentionCase From(int seed, int maxLength = 300, bool allowFp32Inputs = true)
    {
        var rnd = new Random(seed);
        int kvHeads = rnd.Next(1, 3), group = rnd.Next(1, 3);
        int nq = rnd.Next(1, maxLength + 1);
        int nk = rnd.Next(3) == 0 ? rnd.Next(1, maxLength + 1) : nq;
        int d = rnd.Next(2) == 0 ? 64 : 128;
        var shape = new AttentionShape(rnd.Next(1, 3), kvHeads * group, kvHeads, nq, nk, d);
        var problem = new AttentionProblem(shape, rnd.Next(2) == 0 ? TensorLayout.HND : TensorLayout.NHD,
            causal: rnd.Next(2) == 0, softmaxScale: rnd.Next(4) == 0 ? Math.Pow(2, rnd.Next(-6, 3)) : null, returnLse: true);
        var options = new SageOptions
        {
            QkFormat = rnd.Next(3) == 0 ? QkFormat.Int4 : QkFormat.Int8,
            Granularity = (QuantGranularity)rnd.Next(3),
            SmoothK = rnd.Next(4) != 0,
            SmoothQ = rnd.Next(3) == 0,
            PvAccumulation = (PvAccumulation)rnd.Next(3),
            OutputType = (ElementType)rnd.Next(3),
        };
        var inputType = (ElementType)rnd.Next(allowFp32Inputs ? 3 : 2);
        // Magnitudes from tiny to large, within the FP16 range for FP16 inputs.
        // FP16 inputs or outputs cap the magnitude at the FP16 range (an output of |V| > 65504 is inf by definition).
        bool fp16Range = inputType == ElementType.Float16 || options.OutputType == ElementType.Float16;
        double magnitude = Math.Pow(10, fp16Range ? rnd.Next(-2, 4) : rnd.Next(-6, 7));
        var q = Fill(rnd, problem.Shape.QueryShape(problem.Layout), d, magnitude);
        var k = Fill(rnd, problem.Shape.KeyValueShape(problem.Layout), d, magnitude);
        var v = Fill(rnd, problem.Shape.KeyValueShape(problem.Layout), d, magnitude);
        string description = $"seed {seed}: {shape} {problem.Layout} causal={problem.Causal} scale={problem.SoftmaxScale} {options} in={inputType} mag={magnitude}";
        return new(problem, options, HostTensor.Create(inputType, q, problem.Shape.QueryShape(problem.Layout)),
            HostTensor.Create(inputType, k, problem.Shape.KeyValueShape(problem.Layout)),
            HostTensor.Create(inputType, v, problem.Shape.KeyValueShape(problem.Layout)), description);
    }

    /// <summary>Gaussian-ish values with a random channel bias, some all-zero channels and some constant rows.</summary>
    private static float[] Fill(Random rnd, int[] shape, int d, double magnitude)
    {
        long length = 1;
        foreach (int s in shape) length *= s;
        var values = new float[length];
        var bias = new double[d];
        bool biased = rnd.Next(3) == 0;
        for (int c = 0; c < d; c++) bias[c] = biased ? (rnd.NextDouble() * 2 - 1) * 8 : 0;
        var zeroChannel = new bool[d];
        if (rnd.Next(2) == 0) for (int z = rnd.Next(1, 4); z > 0; z--) zeroChannel[rnd.Next(d)] = true;
        bool constantRows = rnd.Next(4) == 0;
        var constant = new double[d];
        for (int c = 0; c < d; c++) constant[c] = Normal(rnd) + bias[c];
        for (long i = 0; i < length; i += d)
        {
            bool useConstant = constantRows && rnd.Next(2) == 0;
            for (int c = 0; c < d; c++)
                values[i + c] = zeroChannel[c] ? 0f : (float)(magnitude * (useConstant ? constant[c] : Normal(rnd) + bias[c]));
        }
        if (rnd.Next(5) == 0) Array.Clear(values); // an all-zero tensor
        return values;
    }

    private static double Normal(Random rnd) =>
        Math.Sqrt(-2 * Math.Log(1 - rnd.NextDouble())) * Math.Cos(2 * Math.PI * rnd.NextDouble());
}
