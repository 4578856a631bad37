using System.Runtime.InteropServices;

namespace Sage.Cuda.Interop;

/// <summary>
/// The process's NVRTC: located once, with its version, the architectures it can target and the CUDA header
/// folders to pass as include paths (so kernels can include &lt;cuda_fp16.h&gt; and &lt;cuda_fp8.h&gt;).
/// </summary>
internal static unsafe class NvrtcLibrary
{
    private static readonly Lock Gate = new();
    private static NvrtcLocation? location;
    private static CudaUnavailableException? failure;
    private static string? version;
    private static int[]? supportedArchitectures;
    private static string[]? includeDirectories;

    public static nint HandleOrZero => Volatile.Read(ref location)?.Handle ?? 0;

    public static NvrtcLocation EnsureLoaded()
    {
        var loaded = Volatile.Read(ref location);
        if (loaded is not null) return loaded;
        lock (Gate)
        {
            if (location is not null) return location;
            if (failure is not null) throw failure;
            try
            {
                var found = new NvrtcLocator(NvrtcSearchEnvironment.Real).Locate();
                PreloadBuiltins(found.Directory);
                Volatile.Write(ref location, found);
                return found;
            }
            catch (CudaUnavailableException e)
            {
                failure = e;
                throw;
            }
        }
    }

    /// <summary>"13.0": part of every cache key, since another NVRTC may generate other code.</summary>
    public static string Version
    {
        get
        {
            if (version is not null) return version;
            EnsureLoaded();
            int major, minor;
            NvrtcCheck.ThrowIfFailed(Nvrtc.nvrtcVersion(&major, &minor));
            return version = $"{major}.{minor}";
        }
    }

    /// <summary>The numeric architectures NVRTC can emit machine code for (75, 80, ..., 90, 100, ...).</summary>
    public static IReadOnlyList<int> SupportedArchitectures
    {
        get
        {
            if (supportedArchitectures is not null) return supportedArchitectures;
            EnsureLoaded();
            int count;
            NvrtcCheck.ThrowIfFailed(Nvrtc.nvrtcGetNumSupportedArchs(&count));
            var archs = new int[count];
            fixed (int* p = archs) NvrtcCheck.ThrowIfFailed(Nvrtc.nvrtcGetSupportedArchs(p));
            return supportedArchitectures = archs;
        }
    }

    /// <summary>Existing CUDA header folders, most specific first (the one beside the loaded NVRTC, then CUDA_HOME/CUDA_PATH, then /usr/local/cuda).</summary>
    public static IReadOnlyList<string> IncludeDirectories
    {
        get
        {
            if (includeDirectories is not null) return includeDirectories;
            var found = EnsureLoaded();
            return includeDirectories = FindIncludeDirectories(found.Directory, Environment.GetEnvironmentVariable, Directory.Exists, File.Exists);
        }
    }

    internal static string[] FindIncludeDirectories(
        string? nvrtcDirectory, Func<string, string?> getVariable, Func<string, bool> directoryExists, Func<string, bool> fileExists)
    {
        var roots = new List<string>();
        if (nvrtcDirectory is not null) roots.Add(Path.GetFullPath(Path.Combine(nvrtcDirectory, "..", "include")));
        foreach (string variable in new[] { "CUDA_HOME", "CUDA_PATH" })
        {
            string? value = getVariable(variable);
            if (!string.IsNullOrWhiteSpace(value)) roots.Add(Path.Combine(value, "include"));
        }
        roots.Add("/usr/local/cuda/include");

        // The first folder that really holds the toolkit headers wins; CUDA 13 keeps CCCL (cuda/std, nv/target)
        // in include/cccl, which the fp16/fp8 headers may reach, so that folder comes along when present.
        foreach (string root in roots.Distinct(StringComparer.Ordinal))
        {
            if (!fileExists(Path.Combine(root, "cuda_fp16.h"))) continue;
            string cccl = Path.Combine(root, "cccl");
            return directoryExists(cccl) ? [root, cccl] : [root];
        }
        return [];
    }

    /// <summary>
    /// NVRTC dlopens libnvrtc-builtins.so.X.Y by soname at the first compile; when NVRTC was found through
    /// CUDA_HOME rather than the loader path that lookup can fail. Loading the builtins from the same folder
    /// first makes the soname already resident, so the later dlopen finds it.
    /// </summary>
    private static void PreloadBuiltins(string? directory)
    {
        if (directory is null || !Directory.Exists(directory)) return;
        var builtins = Directory.EnumerateFiles(directory, "libnvrtc-builtins.so*")
            .Select(p => Path.GetFileName(p))
            .OrderByDescending(n => n, LibraryVersionComparer.Instance);
        foreach (string name in builtins)
            if (NativeLibrary.TryLoad(Path.Combine(directory, name), out _)) return;
    }
}
