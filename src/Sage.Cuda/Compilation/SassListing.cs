namespace Sage.Cuda;

/// <summary>One function's part of a <c>cuobjdump -sass</c> listing (<see cref="SassText.Functions"/>).</summary>
/// <param name="Name">The kernel's (extern "C") name.</param>
/// <param name="Text">Its lines, from the "Function :" header to the next function's.</param>
public sealed record SassListing(string Name, string Text);
