namespace Sage.Cuda;

/// <summary>
/// The main loop's kernels of both P encodings (<see cref="CudaAttention.KernelResourceFor"/>), each compiled alone the
/// first time a call launches it (<see cref="SelectedKernels"/>): on a cold kernel cache a call waits seconds for its
/// kernel (2-12 s) instead of one to two minutes for the 27 kernels of its encoding's program.
/// </summary>
internal sealed class MainLoopKernels : IDisposable
{
    private readonly SelectedKernels _exp2;
    private readonly SelectedKernels _logLinear;

    public MainLoopKernels(CudaContext context, KernelCompiler compiler, IReadOnlyList<string> defines)
    {
        SelectedKernels Program(PEncoding encoding) => new(context, compiler,
            KernelSource.FromEmbedded(typeof(CudaAttention).Assembly, CudaAttention.KernelResourceFor(encoding)), defines);
        _exp2 = Program(PEncoding.Exp2);
        _logLinear = Program(PEncoding.LogLinear);
    }

    private SelectedKernels Of(PEncoding encoding) => encoding switch
    {
        PEncoding.Exp2 => _exp2,
        PEncoding.LogLinear => _logLinear,
        _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "Unknown P encoding."),
    };

    /// <summary>The kernel <paramref name="kernelName"/> of <paramref name="encoding"/>'s program, from its own module.</summary>
    public CudaFunction Function(PEncoding encoding, string kernelName) => Of(encoding).Function(kernelName);

    /// <summary>The module of the last kernel <see cref="Function"/> returned for <paramref name="encoding"/>, or null.</summary>
    public CudaModule? LastUsed(PEncoding encoding) => Of(encoding).LastUsed;

    /// <summary>Kernels compiled or loaded so far.</summary>
    public int LoadedCount => _exp2.LoadedCount + _logLinear.LoadedCount;

    public void Dispose()
    {
        _exp2.Dispose();
        _logLinear.Dispose();
    }
}
