namespace Sage.Cuda;

/// <summary>The result of compiling a <see cref="KernelSource"/>: the image to load and how it was made.</summary>
/// <param name="ProgramName">The source's name.</param>
/// <param name="Architecture">The target named to NVRTC ("sm_90a", or "compute_90" for a PTX fallback).</param>
/// <param name="Kind">Cubin or PTX.</param>
/// <param name="Image">The bytes to give the driver (PTX includes its terminating NUL).</param>
/// <param name="Options">The exact NVRTC options.</param>
/// <param name="CacheKey">Hex SHA-256 of source hash, options, architecture and NVRTC version.</param>
/// <param name="NvrtcVersion">The NVRTC that produced it, e.g. "13.0".</param>
/// <param name="FromCache">True when read from the disk cache instead of compiled now.</param>
/// <param name="Log">NVRTC's log (warnings); empty for a cache hit.</param>
public sealed record CompiledKernel(
    string ProgramName,
    string Architecture,
    KernelImageKind Kind,
    byte[] Image,
    IReadOnlyList<string> Options,
    string CacheKey,
    string NvrtcVersion,
    bool FromCache,
    string Log)
{
    /// <summary>Why a cache entry for this key was refused and deleted before this compile (null: none was).</summary>
    public string? CacheRejection { get; init; }
}
