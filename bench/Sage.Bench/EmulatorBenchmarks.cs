using BenchmarkDotNet.Attributes;
using Sage.Emulation;
using Sage.Reference;

namespace Sage.Bench;

/// <summary>
/// Issue 4's CPU table: the bit-exact emulator (SageAttention2++ defaults and FP32 two-level) against the float64
/// reference and a vectorised float32 attention, B=1, H=8, N=4096, d=128, FP16 inputs, non-causal.
/// Run: dotnet run -c Release --project bench/Sage.Bench -- --filter '*EmulatorBenchmarks*' (job: Program.cs)
/// </summary>
[MemoryDiagnoser]
public class EmulatorBenchmarks
{
    private const int Heads = 8, Length = 4096, HeadDim = 128;
    private readonly AttentionProblem _problem = new(new AttentionShape(1, Heads, Heads, Length, Length, HeadDim));
    private readonly EmulatedAttention _emulator = new();
    private readonly ReferenceAttention _reference = new();
    private AttentionInputs _inputs = null!;
    private float[] _q = null!, _k = null!, _v = null!, _o = null!;

    [GlobalSetup]
    public void Setup()
    {
        _inputs = SyntheticData.GenerateInputs(_problem, DataFamily.Gaussian, ElementType.Float16, seed: 1);
        _q = _inputs.Q.ToSingleArray();
        _k = _inputs.K.ToSingleArray();
        _v = _inputs.V.ToSingleArray();
        _o = new float[_q.Length];
    }

    [Benchmark(Description = "emulator INT8 + FP16 two-level (SageAttention2++)")]
    public AttentionResult EmulatorFp16TwoLevel() => _emulator.Run(_problem, _inputs.Q, _inputs.K, _inputs.V, SageOptions.Default);

    [Benchmark(Description = "emulator INT8 + FP32 two-level")]
    public AttentionResult EmulatorFp32TwoLevel() =>
        _emulator.Run(_problem, _inputs.Q, _inputs.K, _inputs.V, new SageOptions { PvAccumulation = PvAccumulation.Fp32TwoLevel });

    [Benchmark(Baseline = true, Description = "float32 vectorised attention")]
    public float[] Float32()
    {
        EmulatorFloat32Baseline.Run(_q, _k, _v, _o, Heads, Length, HeadDim, (float)_problem.SoftmaxScale);
        return _o;
    }

    [Benchmark(Description = "float64 reference")]
    public ReferenceResult Reference() => _reference.Compute(_problem, _inputs.Q, _inputs.K, _inputs.V);
}
