namespace Sage.Cuda;

/// <summary>
/// A loop in a function's SASS (<see cref="SassText.Loops"/>): a backward branch at <paramref name="End"/> to
/// <paramref name="Start"/>.
/// </summary>
/// <param name="Start">Address of the loop's first instruction (the branch target).</param>
/// <param name="End">Address of the backward branch.</param>
/// <param name="Instructions">Instructions from Start to End, both included: every path through the body.</param>
public sealed record SassLoop(int Start, int End, int Instructions);
