using System.Runtime.CompilerServices;
using Sage.Cuda;
using Sage.Cuda.Preprocessing;
using Sage.Reference;

namespace Sage.Gpu.Tests.Preprocessing;

/// <summary>
/// Two pre-processings of the same inputs by two schedules, compared byte for byte: the Q codes and scales (where both
/// have them), the K means, scales and codes, the V scales, means (where both have them) and codes. Floats compare by bit
/// pattern; an element that differs counts once.
/// </summary>
internal static class PreprocessedBytes
{
    /// <summary>
    /// Uploads <paramref name="inputs"/>, pre-processes them twice on one stream, first after
    /// <paramref name="expectedSchedule"/> and then after <paramref name="actualSchedule"/> set the preprocessor's switches,
    /// and compares the two (<see cref="Compare"/>).
    /// </summary>
    public static (long Bytes, long Mismatches) CompareSchedules(CudaContext context, GpuPreprocessor preprocessor, AttentionProblem problem,
        SageOptions options, AttentionInputs inputs, bool quantizeQueries, Action<GpuPreprocessor> expectedSchedule,
        Action<GpuPreprocessor> actualSchedule)
    {
        using var stream = CudaStream.Create(context);
        using var q = DeviceInput.Upload(context, inputs.Q, stream);
        using var k = DeviceInput.Upload(context, inputs.K, stream);
        using var v = DeviceInput.Upload(context, inputs.V, stream);
        expectedSchedule(preprocessor);
        using var expected = preprocessor.Preprocess(problem, options, q.Tensor, k.Tensor, v.Tensor, stream, quantizeQueries);
        actualSchedule(preprocessor);
        using var actual = preprocessor.Preprocess(problem, options, q.Tensor, k.Tensor, v.Tensor, stream, quantizeQueries);
        stream.Synchronize();
        return Compare(expected, actual);
    }

    public static (long Bytes, long Mismatches) Compare(PreprocessedInputs expected, PreprocessedInputs actual)
    {
        long bytes = 0, mismatches = 0;
        void Add<T>(T[] a, T[] b) where T : unmanaged, IEquatable<T>
        {
            if (a.Length != b.Length) throw new InvalidOperationException($"{typeof(T).Name} outputs of {a.Length} and {b.Length} elements");
            bytes += (long)a.Length * Unsafe.SizeOf<T>();
            for (int i = 0; i < a.Length; i++) if (!a[i].Equals(b[i])) mismatches++;
        }
        static int[] Bits(float[] x) => [.. x.Select(BitConverter.SingleToInt32Bits)];
        if (expected.Queries is { } eq && actual.Queries is { } aq)
        {
            Add(eq.Values.ToArray(), aq.Values.ToArray());
            Add(Bits(eq.Scales.ToArray()), Bits(aq.Scales.ToArray()));
        }
        Add(Bits(expected.Keys.Mean.ToArray()), Bits(actual.Keys.Mean.ToArray()));
        Add(Bits(expected.Keys.Scales.ToArray()), Bits(actual.Keys.Scales.ToArray()));
        Add(expected.Keys.Values.ToArray(), actual.Keys.Values.ToArray());
        Add(Bits(expected.Values.Scales.ToArray()), Bits(actual.Values.Scales.ToArray()));
        if (expected.Values.Mean is { } em && actual.Values.Mean is { } am) Add(Bits(em.ToArray()), Bits(am.ToArray()));
        else if ((expected.Values.Mean is null) != (actual.Values.Mean is null)) throw new InvalidOperationException("one side has V means, the other none");
        Add(expected.Values.Codes.ToArray(), actual.Values.Codes.ToArray());
        return (bytes, mismatches);
    }
}
