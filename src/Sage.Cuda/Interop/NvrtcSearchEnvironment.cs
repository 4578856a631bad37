using System.Runtime.InteropServices;

namespace Sage.Cuda.Interop;

/// <summary>
/// What the NVRTC search may look at: environment variables, the file system and the dynamic loader. The
/// real one reads the machine; tests inject a fake one to check the search order and the error that lists
/// every place tried.
/// </summary>
internal sealed class NvrtcSearchEnvironment
{
    /// <summary>Reads an environment variable (null when unset).</summary>
    public required Func<string, string?> GetVariable { get; init; }

    /// <summary>Whether a folder exists.</summary>
    public required Func<string, bool> DirectoryExists { get; init; }

    /// <summary>File names (not paths) in an existing folder.</summary>
    public required Func<string, IEnumerable<string>> ListFileNames { get; init; }

    /// <summary>Loads a library by path or bare name: the handle, or 0 and the loader's message.</summary>
    public required Func<string, (nint Handle, string? Error)> Load { get; init; }

    /// <summary>Install roots tried after CUDA_HOME and CUDA_PATH (the real machine's /usr/local/cuda, /usr/local/cuda-*, /opt/cuda).</summary>
    public required Func<IEnumerable<string>> WellKnownRoots { get; init; }

    /// <summary>The target triple folder under targets/ (x86_64-linux or sbsa-linux).</summary>
    public string TargetFolder { get; init; } =
        RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "sbsa-linux" : "x86_64-linux";

    /// <summary>The machine as it is.</summary>
    public static NvrtcSearchEnvironment Real { get; } = new()
    {
        GetVariable = Environment.GetEnvironmentVariable,
        DirectoryExists = Directory.Exists,
        ListFileNames = dir => Directory.EnumerateFiles(dir).Select(p => Path.GetFileName(p)),
        Load = LoadReal,
        WellKnownRoots = RealRoots,
    };

    private static (nint, string?) LoadReal(string nameOrPath)
    {
        try
        {
            return (NativeLibrary.Load(nameOrPath), null);
        }
        catch (DllNotFoundException e)
        {
            return (0, LoaderMessage.Shorten(e.Message));
        }
        catch (BadImageFormatException e)
        {
            return (0, LoaderMessage.Shorten(e.Message));
        }
    }

    private static IEnumerable<string> RealRoots()
    {
        yield return "/usr/local/cuda";
        // Versioned installs, newest first: /usr/local/cuda-13.0 before /usr/local/cuda-12.8.
        string[] versioned;
        try
        {
            versioned = Directory.Exists("/usr/local")
                ? Directory.GetDirectories("/usr/local", "cuda-*")
                : [];
        }
        catch (IOException)
        {
            versioned = [];
        }
        catch (UnauthorizedAccessException)
        {
            versioned = [];
        }
        foreach (string dir in versioned.OrderByDescending(d => Path.GetFileName(d), LibraryVersionComparer.Instance))
            yield return dir;
        yield return "/opt/cuda";
    }
}
