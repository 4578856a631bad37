namespace Sage.Gpu.Tests;

/// <summary>
/// The count lines a device run collects: $SAGE_TEST_REPORT_DIR/FILE, one line per comparison, when the variable is set.
/// The folder is created if missing, so that a mistyped or fresh report folder costs the run its counts, never its tests
/// (session 48: a missing folder failed 259 of 393 tests with DirectoryNotFoundException).
/// </summary>
internal static class TestReport
{
    private static readonly Lock Gate = new();

    public static void Append(string file, string line)
    {
        string? dir = Environment.GetEnvironmentVariable("SAGE_TEST_REPORT_DIR");
        if (string.IsNullOrEmpty(dir)) return;
        lock (Gate)
        {
            Directory.CreateDirectory(dir);
            File.AppendAllText(Path.Combine(dir, file), line + "\n");
        }
    }
}
