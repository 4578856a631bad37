using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace Sage.Cuda;

/// <summary>
/// CUDA C++ source of one NVRTC program plus the headers it may include, with a SHA-256 <see cref="Hash"/>
/// over the code and every header (the cache key's source component: editing a header recompiles).
/// </summary>
public sealed class KernelSource
{
    private KernelSource(string name, string code, IReadOnlyList<KernelHeader> headers)
    {
        Name = name;
        Code = code;
        Headers = headers;
        Hash = ComputeHash(code, headers);
    }

    /// <summary>The program name NVRTC reports in its log (a file name such as "vector_add.cu").</summary>
    public string Name { get; }

    public string Code { get; }

    /// <summary>Headers available to <c>#include "..."</c>, by include name.</summary>
    public IReadOnlyList<KernelHeader> Headers { get; }

    /// <summary>Lower-case hex SHA-256 of the code and headers.</summary>
    public string Hash { get; }

    /// <summary>Source given as text, with optional in-memory headers.</summary>
    public static KernelSource FromText(string name, string code, IEnumerable<KernelHeader>? headers = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(code);
        var list = (headers ?? []).ToList();
        var duplicate = list.GroupBy(h => h.IncludeName, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"header '{duplicate.Key}' is given {duplicate.Count()} times", nameof(headers));
        return new KernelSource(name, code, list);
    }

    /// <summary>
    /// An embedded .cu resource (e.g. "Sage.Cuda.Kernels.Interop.vector_add.cu"). Every .cuh resource of the
    /// same assembly comes along as a header, includable by its path below the Kernels folder
    /// ("Probes/common.cuh") and, when no other header has the same file name, by its bare file name ("common.cuh").
    /// Kernel file names carry no dots besides the extension, so folder and file can be told apart in the
    /// dotted resource name.
    /// </summary>
    public static KernelSource FromEmbedded(Assembly assembly, string resourceName)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        ArgumentException.ThrowIfNullOrEmpty(resourceName);
        string code = ReadResource(assembly, resourceName)
            ?? throw new ArgumentException(
                $"assembly {assembly.GetName().Name} has no resource '{resourceName}'; it has: {string.Join(", ", ListEmbedded(assembly))}",
                nameof(resourceName));
        return new KernelSource(FileName(resourceName), code, EmbeddedHeaders(assembly));
    }

    /// <summary>The .cu resources of <paramref name="assembly"/>, sorted.</summary>
    public static IReadOnlyList<string> ListEmbedded(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        return [.. assembly.GetManifestResourceNames().Where(n => n.EndsWith(".cu", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
    }

    private static List<KernelHeader> EmbeddedHeaders(Assembly assembly)
    {
        var resources = assembly.GetManifestResourceNames()
            .Where(n => n.EndsWith(".cuh", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        var byFileName = resources.GroupBy(FileName, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var headers = new List<KernelHeader>();
        foreach (string resource in resources)
        {
            string code = ReadResource(assembly, resource)!;
            string relative = RelativePath(resource);
            headers.Add(new KernelHeader(relative, code));
            string file = FileName(resource);
            if (byFileName[file] == 1 && file != relative) headers.Add(new KernelHeader(file, code));
        }
        return headers;
    }

    /// <summary>"Sage.Cuda.Kernels.Probes.common.cuh" → "common.cuh".</summary>
    internal static string FileName(string resourceName)
    {
        string[] parts = resourceName.Split('.');
        return parts.Length < 2 ? resourceName : $"{parts[^2]}.{parts[^1]}";
    }

    /// <summary>"Sage.Cuda.Kernels.Probes.common.cuh" → "Probes/common.cuh" (the part after the last "Kernels" segment).</summary>
    internal static string RelativePath(string resourceName)
    {
        string[] parts = resourceName.Split('.');
        if (parts.Length < 3) return FileName(resourceName);
        int kernels = Array.LastIndexOf(parts, "Kernels", parts.Length - 3);
        string[] folders = kernels < 0 ? [] : parts[(kernels + 1)..^2];
        return string.Join('/', [.. folders, FileName(resourceName)]);
    }

    private static string? ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name);
        if (stream is null) return null;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static string ComputeHash(string code, IReadOnlyList<KernelHeader> headers)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        HashField(hash, code);
        foreach (var header in headers.OrderBy(h => h.IncludeName, StringComparer.Ordinal))
        {
            HashField(hash, header.IncludeName);
            HashField(hash, header.Code);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Length-prefixed, so ("ab","c") and ("a","bc") hash differently.</summary>
    internal static void HashField(IncrementalHash hash, string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> length = stackalloc byte[8];
        BitConverter.TryWriteBytes(length, (long)bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}
