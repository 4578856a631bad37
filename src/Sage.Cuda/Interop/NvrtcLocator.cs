using System.Text;
using System.Text.RegularExpressions;

namespace Sage.Cuda.Interop;

/// <summary>
/// Finds libnvrtc. Order: SAGE_NVRTC_PATH (an explicit file), then for each root CUDA_HOME, CUDA_PATH,
/// /usr/local/cuda, /usr/local/cuda-* (newest first), /opt/cuda the folders lib64, targets/&lt;triple&gt;/lib and
/// lib, and last the dynamic loader's own path by soname. In each folder every libnvrtc.so.N present is
/// tried, newest first, then the unversioned libnvrtc.so (a development symlink, not always installed).
/// When nothing loads, the exception lists every place and what happened there.
/// </summary>
internal sealed partial class NvrtcLocator(NvrtcSearchEnvironment environment)
{
    /// <summary>Sonames asked of the loader when no folder held NVRTC, newest first.</summary>
    public static IReadOnlyList<string> LoaderNames { get; } =
        ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"];

    [GeneratedRegex(@"^libnvrtc\.so(\.\d+)*$")]
    private static partial Regex NvrtcFileName();

    public NvrtcLocation Locate()
    {
        var tried = new List<string>();

        string? explicitPath = environment.GetVariable("SAGE_NVRTC_PATH");
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            var (handle, error) = environment.Load(explicitPath);
            if (handle != 0) return new NvrtcLocation(handle, explicitPath, Path.GetDirectoryName(explicitPath));
            tried.Add($"SAGE_NVRTC_PATH={explicitPath}: {error}");
        }

        foreach (var (origin, directory) in CandidateDirectories())
        {
            if (!environment.DirectoryExists(directory))
            {
                tried.Add($"{directory} ({origin}): no such folder");
                continue;
            }
            var names = environment.ListFileNames(directory)
                .Where(n => NvrtcFileName().IsMatch(n))
                .OrderByDescending(n => n, LibraryVersionComparer.Instance)
                .ToList();
            if (names.Count == 0)
            {
                tried.Add($"{directory} ({origin}): no libnvrtc.so* in it");
                continue;
            }
            foreach (string name in names)
            {
                string path = Path.Combine(directory, name);
                var (handle, error) = environment.Load(path);
                if (handle != 0) return new NvrtcLocation(handle, path, directory);
                tried.Add($"{path} ({origin}): {error}");
            }
        }

        string ldPath = environment.GetVariable("LD_LIBRARY_PATH") ?? "(unset)";
        foreach (string name in LoaderNames)
        {
            var (handle, error) = environment.Load(name);
            if (handle != 0) return new NvrtcLocation(handle, name, null);
            tried.Add($"{name} (loader path, LD_LIBRARY_PATH={ldPath}): {error}");
        }

        throw new CudaUnavailableException(CudaComponent.Nvrtc, Describe(tried), tried);
    }

    /// <summary>The folders searched, in order, each with the reason it is on the list.</summary>
    public IEnumerable<(string Origin, string Directory)> CandidateDirectories()
    {
        var roots = new List<(string Origin, string Root)>();
        foreach (string variable in new[] { "CUDA_HOME", "CUDA_PATH" })
        {
            string? value = environment.GetVariable(variable);
            if (!string.IsNullOrWhiteSpace(value)) roots.Add(($"{variable}={value}", value));
        }
        foreach (string root in environment.WellKnownRoots()) roots.Add(("usual install folder", root));

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (origin, root) in roots)
        {
            foreach (string sub in new[] { "lib64", $"targets/{environment.TargetFolder}/lib", "lib" })
            {
                string directory = Path.Combine(root, sub);
                if (seen.Add(directory)) yield return (origin, directory);
            }
        }
    }

    private static string Describe(List<string> tried)
    {
        var text = new StringBuilder("no NVRTC: libnvrtc.so* could not be loaded from any of these places:");
        foreach (string place in tried) text.Append("\n  - ").Append(place);
        text.Append("\nSet CUDA_HOME to the CUDA toolkit folder, or SAGE_NVRTC_PATH to the libnvrtc.so file.");
        return text.ToString();
    }
}
