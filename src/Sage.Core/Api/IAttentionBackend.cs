namespace Sage;

/// <summary>The one API that the reference, the emulator and the CUDA backend answer.</summary>
public interface IAttentionBackend
{
    /// <summary>Short name for tables and logs ("reference", "emulator", "cuda").</summary>
    string Name { get; }

    /// <summary>
    /// Runs attention. <paramref name="options"/> selects the quantised mode (ignored by the exact reference
    /// except for <see cref="SageOptions.OutputType"/>); null means <see cref="SageOptions.Default"/>.
    /// Throws ArgumentException for tensors that do not match <paramref name="problem"/>, before any work.
    /// </summary>
    AttentionResult Run(AttentionProblem problem, HostTensor q, HostTensor k, HostTensor v, SageOptions? options = null);
}
