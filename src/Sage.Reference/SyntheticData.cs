using MathNet.Numerics.Distributions;

namespace Sage.Reference;

/// <summary>
/// Seeded synthetic tensors that every test, benchmark and the CLI draw from, so that a (family, shape, type,
/// seed) names the same data everywhere.
/// </summary>
/// <remarks>
/// <para>Reproducibility: the flat tensor is cut into chunks of <see cref="ChunkLength"/> elements and chunk c is
/// drawn from <c>new System.Random(seed')</c> with seed' a fixed hash of (seed, c). System.Random with a seed uses
/// the legacy subtractive generator, whose sequence .NET keeps stable across versions and platforms; the chunking
/// makes the result independent of how many threads generate it. The samplers (MathNet.Numerics) call Math.Log
/// and Math.Sqrt, so values are identical across runs and machines of one platform; a different C runtime could
/// in principle differ in the last bit of a logarithm, which survives rounding to float32 only with odds of
/// about one in 10⁸ per element.</para>
/// <para>The float64 samples are rounded once to float32 and then (round-to-nearest-even) to the requested type.</para>
/// </remarks>
public static class SyntheticData
{
    /// <summary>Elements drawn from one generator stream.</summary>
    public const int ChunkLength = 1 << 16;

    /// <summary>Size of the channel bias of <see cref="DataFamily.KChannelBias"/> and <see cref="DataFamily.VChannelBias"/>, in σ.</summary>
    public const double ChannelBiasSigmas = 8.0;

    /// <summary>A tensor of <paramref name="shape"/> and <paramref name="type"/> drawn from <paramref name="family"/>.</summary>
    /// <remarks><paramref name="scale"/> is σ, the standard deviation of the Gaussian values; Student-t and uniform
    /// values are multiplied by it alike, and the channel bias is ±8σ.</remarks>
    public static HostTensor Generate(DataFamily family, int[] shape, ElementType type, int seed, double scale = 1.0)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (!Enum.IsDefined(family)) throw new ArgumentOutOfRangeException(nameof(family), family, "Unknown data family.");
        if (!Enum.IsDefined(type)) throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown element type.");
        if (!double.IsFinite(scale) || scale <= 0)
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "The scale (σ) must be finite and positive.");
        long length = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentOutOfRangeException(nameof(shape), d, $"Shape [{string.Join(", ", shape)}] has a negative dimension.");
            length *= d;
        }
        if (length > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(shape), length, $"Shape [{string.Join(", ", shape)}] holds more elements than one array can.");

        var values = new float[length];
        int chunks = (int)((length + ChunkLength - 1) / ChunkLength);
        Parallel.For(0, chunks, () => new double[ChunkLength], (chunk, _, buffer) =>
        {
            int start = chunk * ChunkLength, count = (int)Math.Min(ChunkLength, length - start);
            var samples = count == ChunkLength ? buffer : new double[count]; // MathNet fills whole arrays
            Draw(family, new Random(StreamSeed(seed, chunk)), samples);
            for (int i = 0; i < count; i++) values[start + i] = (float)(samples[i] * scale);
            return buffer;
        }, _ => { });

        if (family is DataFamily.KChannelBias or DataFamily.VChannelBias && shape.Length > 0 && length > 0)
            AddChannelBias(values, shape[^1], seed, ChannelBiasSigmas * scale);

        return HostTensor.Create(type, values, shape);
    }

    /// <summary>
    /// Q, K and V for <paramref name="problem"/>: all three from <paramref name="family"/>, except that the channel
    /// bias families put their bias on one tensor only (K for <see cref="DataFamily.KChannelBias"/>, V for
    /// <see cref="DataFamily.VChannelBias"/>) and draw the other two as Gaussian. Each tensor has its own stream.
    /// </summary>
    public static AttentionInputs GenerateInputs(AttentionProblem problem, DataFamily family, ElementType type, int seed, double scale = 1.0)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var qShape = problem.Shape.QueryShape(problem.Layout);
        var kvShape = problem.Shape.KeyValueShape(problem.Layout);
        DataFamily Plain(DataFamily f) => f is DataFamily.KChannelBias or DataFamily.VChannelBias ? DataFamily.Gaussian : f;
        var qFamily = Plain(family);
        var kFamily = family == DataFamily.VChannelBias ? DataFamily.Gaussian : family;
        var vFamily = family == DataFamily.KChannelBias ? DataFamily.Gaussian : family;
        return new AttentionInputs(
            Generate(qFamily, qShape, type, TensorSeed(seed, 0), scale),
            Generate(kFamily, kvShape, type, TensorSeed(seed, 1), scale),
            Generate(vFamily, kvShape, type, TensorSeed(seed, 2), scale));
    }

    private static void Draw(DataFamily family, Random random, double[] samples)
    {
        switch (family)
        {
            case DataFamily.Gaussian or DataFamily.KChannelBias or DataFamily.VChannelBias:
                Normal.Samples(random, samples, 0.0, 1.0);
                break;
            case DataFamily.HeavyTail:
                StudentT.Samples(random, samples, 0.0, 1.0, 3.0);
                break;
            case DataFamily.Uniform:
                ContinuousUniform.Samples(random, samples, -Math.Sqrt(3.0), Math.Sqrt(3.0));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(family), family, "Unknown data family.");
        }
    }

    /// <summary>Adds ±bias (sign drawn per channel from its own stream) to every element of each channel (last dimension).</summary>
    private static void AddChannelBias(float[] values, int channels, int seed, double bias)
    {
        var random = new Random(StreamSeed(seed, -1));
        var channelBias = new double[channels];
        for (int c = 0; c < channels; c++) channelBias[c] = random.Next(2) == 0 ? -bias : bias;
        for (long i = 0; i < values.LongLength; i++)
        {
            // The bias is added in float64 to the float64 of the (already float32) sample, then rounded once more.
            values[i] = (float)(values[i] + channelBias[i % channels]);
        }
    }

    private static int TensorSeed(int seed, int tensor) => StreamSeed(seed, int.MinValue + tensor);

    /// <summary>A well-mixed 31-bit seed for stream <paramref name="stream"/> of <paramref name="seed"/> (SplitMix64 finaliser).</summary>
    private static int StreamSeed(int seed, int stream)
    {
        ulong z = ((ulong)(uint)seed << 32 | (uint)stream) + 0x9E37_79B9_7F4A_7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL;
        z ^= z >> 31;
        return (int)(z & int.MaxValue);
    }
}
