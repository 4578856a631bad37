namespace Sage.Cuda;

/// <summary>
/// One kernel's SASS, counted by opcode: what to look at after touching the main loop, where ptxas's placement of
/// values moved the speed by several percent more than once (R2UR before every wgmma, spills, docs/results sessions
/// 12-16).
/// </summary>
/// <param name="Name">The kernel's (extern "C") name.</param>
/// <param name="Instructions">SASS instructions, NOPs included.</param>
/// <param name="Opcodes">Count per base opcode (the mnemonic before its first '.': "MUFU" for MUFU.EX2).</param>
/// <param name="Registers">Registers per thread from the resource usage, or null where it was not reported.</param>
/// <param name="StackBytes">The stack frame per thread (where ptxas spills) from the resource usage, or null.</param>
/// <param name="LocalBytes">Other local memory per thread from the resource usage, or null.</param>
/// <param name="LargestLoop">Instructions in the span of the function's largest backward branch (<see cref="SassText.Loops"/>;
/// the main loop of an attention kernel, all its paths), 0 without one. Where ptxas places loop latches at the function's
/// end (the shared kernels, session 20) the span also holds the epilogue: compare a kernel with itself.</param>
public sealed record SassFunctionSummary(string Name, int Instructions, IReadOnlyDictionary<string, int> Opcodes,
    int? Registers = null, int? StackBytes = null, int? LocalBytes = null, int LargestLoop = 0)
{
    /// <summary>Stack frame plus other local memory per thread: what the driver reports as the kernel's local memory.</summary>
    public int? LocalMemoryBytes => StackBytes is null && LocalBytes is null ? null : (StackBytes ?? 0) + (LocalBytes ?? 0);

    /// <summary>Instructions with base opcode <paramref name="opcode"/>.</summary>
    public int Count(string opcode) => Opcodes.TryGetValue(opcode, out int n) ? n : 0;

    /// <summary>Moves from a vector to a uniform register: before a wgmma they mean its descriptor left the uniform datapath.</summary>
    public int R2ur => Count("R2UR");

    /// <summary>Local-memory stores and loads (register spills, unless the kernel declares local arrays).</summary>
    public int LocalAccesses => Count("STL") + Count("LDL");

    /// <summary>Warpgroup matrix products (HGMMA, IGMMA, QGMMA: every opcode ending in GMMA).</summary>
    public int Wgmma => Opcodes.Where(o => o.Key.EndsWith("GMMA", StringComparison.Ordinal)).Sum(o => o.Value);

    /// <summary>Special-function instructions (exp2 and the rest of the MUFU unit).</summary>
    public int Mufu => Count("MUFU");
}
