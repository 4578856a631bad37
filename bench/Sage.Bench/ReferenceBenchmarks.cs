using BenchmarkDotNet.Attributes;
using Sage.Reference;

namespace Sage.Bench;

/// <summary>
/// The float64 reference at the planner's layer shape (issue 6): B=1, 32 query heads, 8 KV heads, d=128, FP16
/// inputs, non-causal and causal, at N=1024 and N=4096. The planner computes it once per layer, so its time is
/// the floor of full-row planning.
/// Run: dotnet run -c Release --project bench/Sage.Bench -- --filter '*ReferenceBenchmarks*' (job: Program.cs)
/// </summary>
[MemoryDiagnoser]
public class ReferenceBenchmarks
{
    private readonly ReferenceAttention _reference = new();
    private AttentionProblem _problem = null!;
    private AttentionInputs _inputs = null!;

    [Params(1024, 4096)]
    public int Length { get; set; }

    [Params(false, true)]
    public bool Causal { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _problem = new AttentionProblem(new AttentionShape(1, 32, 8, Length, Length, 128), TensorLayout.HND, Causal);
        _inputs = SyntheticData.GenerateInputs(_problem, DataFamily.Gaussian, ElementType.Float16, seed: 1);
    }

    [Benchmark(Description = "float64 reference, one Llama-like layer")]
    public ReferenceResult Layer() => _reference.Compute(_problem, _inputs.Q, _inputs.K, _inputs.V);
}
