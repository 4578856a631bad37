namespace Sage.Cuda.Interop;

/// <summary>
/// The runtime's DllNotFoundException text is a paragraph of advice around the one line that matters,
/// dlerror's (e.g. "libcuda.so.1: cannot open shared object file: No such file or directory"); keep that line.
/// </summary>
internal static class LoaderMessage
{
    public static string Shorten(string message)
    {
        string[] lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? message.Trim() : lines[^1];
    }
}
