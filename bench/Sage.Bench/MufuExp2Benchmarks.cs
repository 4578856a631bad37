using BenchmarkDotNet.Attributes;
using Sage.Emulation.SpecialFunctions;

namespace Sage.Bench;

/// <summary>
/// Throughput of the softmax exp2 span paths on one core: the MUFU.EX2 model's scalar (baseline), AVX2 (gathers) and
/// Vector512 (in-register tables) paths, 1M softmax-shaped elements
/// (scores − row maximum in [−9.2, 0], one in sixteen −inf). Elements/s = 2^20 / mean time.
/// Run: dotnet run -c Release --project bench/Sage.Bench -- --filter '*MufuExp2Benchmarks*' (job: Program.cs)
/// </summary>
public class MufuExp2Benchmarks
{
    private const int Count = 1 << 20;
    private readonly float[] _scores = new float[Count], _destination = new float[Count];
    private const float Base = 1.5f;

    [GlobalSetup]
    public void Setup()
    {
        var rnd = new Random(4);
        for (int i = 0; i < Count; i++)
            _scores[i] = rnd.Next(16) == 0 ? float.NegativeInfinity : Base - (float)(rnd.NextDouble() * 9.2);
    }

    [Benchmark(Baseline = true, Description = "MufuExp2 scalar model")]
    public float[] Scalar()
    {
        MufuExp2.ExponentiateShiftedScalar(_scores, Base, _destination);
        return _destination;
    }

    [Benchmark(Description = "MufuExp2 AVX2 (gathers)")]
    public float[] Avx2Path()
    {
        MufuExp2.ExponentiateShiftedAvx2(_scores, Base, _destination);
        return _destination;
    }

    [Benchmark(Description = "MufuExp2 Vector512 (in-register tables)")]
    public float[] Vector512Path()
    {
        MufuExp2Vector512.ExponentiateShifted(_scores, Base, _destination);
        return _destination;
    }
}
