using Sage.Cuda;
using Xunit;

namespace Sage.Gpu.Tests.Preprocessing;

internal static class PreprocessingGpu
{
    public static CudaContext ContextOrSkip()
    {
        if (!CudaDevice.IsAvailable(out string reason)) Assert.Skip("no CUDA device: " + reason);
        return CudaContext.Create();
    }

    /// <summary>INT4 bytes (element 2m in bits 3..0, 2m+1 in bits 7..4, two's complement) back to one value per element.</summary>
    public static sbyte[] UnpackInt4(ReadOnlySpan<sbyte> packed)
    {
        var values = new sbyte[packed.Length * 2];
        for (int i = 0; i < packed.Length; i++)
        {
            int b = (byte)packed[i];
            values[2 * i] = (sbyte)((b & 0xF) << 28 >> 28);
            values[2 * i + 1] = (sbyte)((b >> 4) << 28 >> 28);
        }
        return values;
    }

    /// <summary>Appends a line to $SAGE_TEST_REPORT_DIR/preprocess-counts.txt when the variable is set (device runs).</summary>
    public static void Report(string line)
    {
        TestReport.Append("preprocess-counts.txt", line);
    }
}
