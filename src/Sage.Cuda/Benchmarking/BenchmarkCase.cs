namespace Sage.Cuda.Benchmarking;

/// <summary>One speed measurement: a problem size, causal or not, in one mode; with <paramref name="Lse"/> the calls also
/// return the log-sum-exp (the main loop's epilogue computes it, with the SmoothK correction); <paramref name="Layout"/> is
/// how Q, K and V (and the output) lie in memory: HND [B, H, N, d] or NHD [B, N, H, d], the PyTorch default, where the
/// pre-processing reads each head's rows H·d elements apart and takes the schedules that allow it.</summary>
public sealed record BenchmarkCase(int Batch, int Heads, int SequenceLength, int HeadDim, bool Causal, SageOptions Options, bool Lse = false,
    TensorLayout Layout = TensorLayout.HND)
{
    /// <summary>4·B·H·N²·d, halved for causal (the convention of FlashAttention and SageAttention plots).</summary>
    public double Flops => 4.0 * Batch * Heads * (double)SequenceLength * SequenceLength * HeadDim * (Causal ? 0.5 : 1.0);

    /// <summary>
    /// Bytes the pre-processing must move at least once with FP16 inputs: Q, K and V read (2 bytes each), one byte per
    /// element of INT8 Q and K and FP8 V written (scales and means are negligible); K and V only when the main loop
    /// quantises Q (<see cref="CudaAttention.QuantizesQueriesInMainLoop"/>).
    /// </summary>
    public double PreprocessMinimumBytes(bool queriesInMainLoop) =>
        (queriesInMainLoop ? 2.0 : 3.0) * Batch * Heads * (double)SequenceLength * HeadDim * (2 + 1);

    public AttentionProblem Problem =>
        new(new AttentionShape(Batch, Heads, Heads, SequenceLength, SequenceLength, HeadDim), Layout, Causal, returnLse: Lse);
}
