using Sage.Cuda;
using Xunit;

namespace Sage.Gpu.Tests.Attention;

internal static class AttentionGpu
{
    public static CudaContext ContextOrSkip()
    {
        if (!CudaDevice.IsAvailable(out string reason)) Assert.Skip("no CUDA device: " + reason);
        return CudaContext.Create();
    }

    /// <summary>Appends a line to $SAGE_TEST_REPORT_DIR/attention-counts.txt when the variable is set (device runs).</summary>
    public static void Report(string line)
    {
        string? dir = Environment.GetEnvironmentVariable("SAGE_TEST_REPORT_DIR");
        if (string.IsNullOrEmpty(dir)) return;
        lock (typeof(AttentionGpu)) File.AppendAllText(Path.Combine(dir, "attention-counts.txt"), line + "\n");
    }
}
