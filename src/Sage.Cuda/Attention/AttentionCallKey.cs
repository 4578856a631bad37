using Sage.Cuda.Preprocessing;

namespace Sage.Cuda;

/// <summary>
/// Everything that decides what a device-level <see cref="CudaAttention"/> call queues: the problem, the options, the
/// tensors (pointer, element count and type), the LSE buffer and the schedule switches as they stand. Two calls with equal
/// keys queue the same launches with the same arguments, which is what lets the second replay the first's graph
/// (<see cref="CudaAttention.GraphReplay"/>). The stream is not part of it: a graph runs on any stream.
/// The problem and the options are immutable records compared by value.
/// </summary>
internal readonly record struct AttentionCallKey(
    AttentionProblem Problem,
    SageOptions Options,
    DeviceTensor Q,
    DeviceTensor K,
    DeviceTensor V,
    DeviceTensor Output,
    ulong LsePointer,
    CudaAttention.MainLoopCta MainLoopCta,
    PreprocessSchedules Preprocess);
