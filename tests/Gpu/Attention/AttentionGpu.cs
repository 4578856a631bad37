using Sage.Cuda;
using Sage.Emulation;
using Sage.Reference;
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
        TestReport.Append("attention-counts.txt", line);
    }

    /// <summary>
    /// Runs <paramref name="problem"/> on the GPU and in the emulator and asserts every output and LSE bit equal; prints and
    /// reports the comparison line under <paramref name="name"/>.
    /// </summary>
    public static void AssertMatchesEmulator(ITestOutputHelper output, AttentionProblem problem, AttentionInputs inputs, SageOptions options,
        string name)
    {
        using var context = ContextOrSkip();
        using var gpu = new CudaAttention(context);
        var expected = new EmulatedAttention().Run(problem, inputs.Q, inputs.K, inputs.V, options);
        var actual = gpu.Run(problem, inputs.Q, inputs.K, inputs.V, options);
        var cmp = OutputComparison.Compare(problem, expected, actual);
        string line = cmp.Summary(name) + $" ({context.Device.Name})";
        output.WriteLine(line);
        Report(line);
        Assert.True(cmp.Mismatches == 0, line);
    }
}
