namespace Sage.Cuda.Benchmarking;

/// <summary>One speed measurement: a problem size, causal or not, in one mode.</summary>
public sealed record BenchmarkCase(int Batch, int Heads, int SequenceLength, int HeadDim, bool Causal, SageOptions Options)
{
    /// <summary>4·B·H·N²·d, halved for causal (the convention of FlashAttention and SageAttention plots).</summary>
    public double Flops => 4.0 * Batch * Heads * (double)SequenceLength * SequenceLength * HeadDim * (Causal ? 0.5 : 1.0);

    public AttentionProblem Problem => new(new AttentionShape(Batch, Heads, Heads, SequenceLength, SequenceLength, HeadDim), TensorLayout.HND, Causal);
}
