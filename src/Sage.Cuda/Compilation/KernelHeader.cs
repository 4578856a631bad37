namespace Sage.Cuda;

/// <summary>A header handed to NVRTC in memory: <c>#include "IncludeName"</c> resolves to <see cref="Code"/>.</summary>
public sealed record KernelHeader(string IncludeName, string Code);
