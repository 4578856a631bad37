using System.Security.Cryptography;

namespace Sage.Cuda;

/// <summary>
/// The disk-cache key of a compiled kernel: SHA-256 over every input that can change the machine code —
/// the source hash (code and headers), each NVRTC option in order, the target architecture and the NVRTC
/// version — each field length-prefixed so no two different inputs share an encoding.
/// </summary>
internal static class KernelCacheKey
{
    /// <summary>Bump when the key's composition changes, so old entries stop matching.</summary>
    private const string Scheme = "sage-kernel-cache-key/1";

    public static string Compute(string sourceHash, IReadOnlyList<string> options, string architecture, string nvrtcVersion)
    {
        ArgumentNullException.ThrowIfNull(sourceHash);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentNullException.ThrowIfNull(nvrtcVersion);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        KernelSource.HashField(hash, Scheme);
        KernelSource.HashField(hash, sourceHash);
        KernelSource.HashField(hash, options.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (string option in options) KernelSource.HashField(hash, option);
        KernelSource.HashField(hash, architecture);
        KernelSource.HashField(hash, nvrtcVersion);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
