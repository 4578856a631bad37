using System.Collections.Concurrent;

namespace Sage.Cuda;

/// <summary>
/// The main loop's kernels, each compiled (or read from the kernel cache) in a module of its own the first time a call
/// launches it: the program of its P encoding (<see cref="CudaAttention.KernelResourceFor"/>) with
/// <c>SAGE_KERNEL_ONLY=name</c>, under which every other kernel of the program compiles to a trap (attention_solo.cuh).
/// <para>Why: ptxas spends about 4-5 s on each main-loop kernel, and a program holds 27 of them, so compiling the whole
/// program kept a process's first call waiting about two minutes on a cold kernel cache (four with both encodings) for
/// kernels it never launches. One kernel takes seconds. The selected kernel's SASS is the whole program's
/// (tests/Gpu MainLoopKernelSelectionTests), so nothing it computes changes.</para>
/// <para>Thread-safe: concurrent first launches of one kernel compile it once; different kernels compile in parallel.
/// A first launch inside the caller's stream capture loads its module in relaxed capture mode (<see cref="RelaxedCaptureScope"/>).</para>
/// </summary>
internal sealed class MainLoopKernels : IDisposable
{
    /// <summary>The macro of attention_solo.cuh that keeps one kernel's body.</summary>
    internal const string SelectionMacro = "SAGE_KERNEL_ONLY";

    private readonly CudaContext _context;
    private readonly KernelCompiler _compiler;
    private readonly IReadOnlyList<string> _defines;
    private readonly ConcurrentDictionary<(PEncoding Encoding, string Name), Lazy<CudaModule>> _modules = new();
    private readonly ConcurrentDictionary<PEncoding, CudaModule> _lastUsed = new();

    /// <param name="context">The context the modules load into.</param>
    /// <param name="compiler">The compiler and its kernel cache.</param>
    /// <param name="defines">Schedule macros for every kernel (<see cref="KernelDefines"/>), before the selection.</param>
    public MainLoopKernels(CudaContext context, KernelCompiler compiler, IReadOnlyList<string> defines)
    {
        _context = context;
        _compiler = compiler;
        _defines = defines;
    }

    /// <summary>The NVRTC options that compile <paramref name="kernelName"/> alone: the schedule macros, then the selection.</summary>
    internal static IReadOnlyList<string> OptionsFor(string kernelName, IReadOnlyList<string> defines)
    {
        ArgumentException.ThrowIfNullOrEmpty(kernelName);
        // A macro value reaches the preprocessor as tokens: only an identifier names one kernel and nothing else.
        if (!kernelName.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') || char.IsAsciiDigit(kernelName[0]))
            throw new ArgumentException($"'{kernelName}' is not a kernel name (an identifier of letters, digits and _).", nameof(kernelName));
        return [.. defines, $"-D{SelectionMacro}={kernelName}"];
    }

    /// <summary>The kernel <paramref name="kernelName"/> of <paramref name="encoding"/>'s program, from its own module.</summary>
    public CudaFunction Function(PEncoding encoding, string kernelName)
    {
        var entry = _modules.GetOrAdd((encoding, kernelName), key => new Lazy<CudaModule>(() => _compiler.Load(_context,
            KernelSource.FromEmbedded(typeof(CudaAttention).Assembly, CudaAttention.KernelResourceFor(key.Encoding)),
            OptionsFor(key.Name, _defines))));
        CudaModule module;
        if (entry.IsValueCreated) module = entry.Value;
        else
        {
            // The first launch may come inside the caller's stream capture (a global-mode one refuses module loads).
            using (RelaxedCaptureScope.Enter()) module = entry.Value;
        }
        _lastUsed[encoding] = module;
        return module.GetFunction(kernelName);
    }

    /// <summary>The module of the last kernel <see cref="Function"/> returned for <paramref name="encoding"/>, or null.</summary>
    public CudaModule? LastUsed(PEncoding encoding) => _lastUsed.TryGetValue(encoding, out var module) ? module : null;

    /// <summary>Kernels compiled or loaded so far.</summary>
    public int LoadedCount => _modules.Values.Count(m => m.IsValueCreated);

    public void Dispose()
    {
        foreach (var module in _modules.Values)
            if (module.IsValueCreated) module.Value.Dispose();
        _modules.Clear();
        _lastUsed.Clear();
    }
}
