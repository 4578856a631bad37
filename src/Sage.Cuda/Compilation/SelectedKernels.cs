using System.Collections.Concurrent;

namespace Sage.Cuda;

/// <summary>
/// The kernels of one program, each compiled (or read from the kernel cache) in a module of its own the first time a
/// caller asks for it: the program with <c>SAGE_KERNEL_ONLY=name</c>, under which every other kernel of the program
/// compiles to a trap (Kernels/Common/kernel_selection.cuh; the program's kernels must wrap their bodies in
/// <c>SAGE_KERNEL_SELECTED</c>).
/// <para>Why: ptxas spends seconds on each kernel, and a main-loop program holds 27, so compiling a whole program kept a
/// process's first call waiting one to two minutes on a cold kernel cache for kernels it never launches. Only for
/// programs whose selected kernels are the whole program's byte for byte (tests/Gpu SelectedKernelTests checks the main
/// loop's), so that nothing they compute or how fast they run changes.</para>
/// <para>Thread-safe: concurrent first requests for one kernel compile it once; different kernels compile in parallel.
/// A first request inside the caller's stream capture loads its module there (<see cref="CudaModule"/> loads in
/// relaxed capture mode).</para>
/// </summary>
internal sealed class SelectedKernels : IDisposable
{
    /// <summary>The macro of kernel_selection.cuh that keeps one kernel's body.</summary>
    internal const string SelectionMacro = "SAGE_KERNEL_ONLY";

    private readonly CudaContext _context;
    private readonly KernelCompiler _compiler;
    private readonly KernelSource _source;
    private readonly IReadOnlyList<string> _defines;
    private readonly ConcurrentDictionary<string, Lazy<CudaModule>> _modules = new(StringComparer.Ordinal);
    private volatile CudaModule? _lastUsed;

    /// <param name="context">The context the modules load into.</param>
    /// <param name="compiler">The compiler and its kernel cache.</param>
    /// <param name="source">The program.</param>
    /// <param name="defines">Macros for every kernel (<see cref="KernelDefines"/>), before the selection.</param>
    public SelectedKernels(CudaContext context, KernelCompiler compiler, KernelSource source, IReadOnlyList<string> defines)
    {
        _context = context;
        _compiler = compiler;
        _source = source;
        _defines = defines;
    }

    /// <summary>The NVRTC options that compile <paramref name="kernelName"/> alone: the other macros, then the selection.</summary>
    internal static IReadOnlyList<string> OptionsFor(string kernelName, IReadOnlyList<string> defines)
    {
        ArgumentException.ThrowIfNullOrEmpty(kernelName);
        // A macro value reaches the preprocessor as tokens: only an identifier names one kernel and nothing else.
        if (!kernelName.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') || char.IsAsciiDigit(kernelName[0]))
            throw new ArgumentException($"'{kernelName}' is not a kernel name (an identifier of letters, digits and _).", nameof(kernelName));
        return [.. defines, $"-D{SelectionMacro}={kernelName}"];
    }

    /// <summary>The kernel <paramref name="kernelName"/>, from its own module.</summary>
    public CudaFunction Function(string kernelName)
    {
        // Called on every launch: the lookup allocates nothing once the kernel's entry exists.
        if (!_modules.TryGetValue(kernelName, out var entry)) entry = _modules.GetOrAdd(kernelName, NewEntry);
        var module = entry.Value;
        _lastUsed = module;
        return module.GetFunction(kernelName);
    }

    private Lazy<CudaModule> NewEntry(string kernelName) =>
        new(() => _compiler.Load(_context, _source, OptionsFor(kernelName, _defines)));

    /// <summary>The module of the last kernel <see cref="Function"/> returned, or null.</summary>
    public CudaModule? LastUsed => _lastUsed;

    /// <summary>Kernels compiled or loaded so far.</summary>
    public int LoadedCount => _modules.Values.Count(m => m.IsValueCreated);

    public void Dispose()
    {
        foreach (var module in _modules.Values)
            if (module.IsValueCreated) module.Value.Dispose();
        _modules.Clear();
        _lastUsed = null;
    }
}
