using System.Text.Json;
using Xunit;

namespace Sage.Accuracy.Tests.Cli;

public class SageCommandTests
{
    /// <summary>Modes of Sage.Cli.Verification.VerifyMode.All: seven until session 23, then the two log-linear P modes, and
    /// since session 35 the second K mean (the strided one until session 40, when it became the default; the full mean since).</summary>
    private const int VerifyModeCount = 10;

    [Fact]
    public void VerifyPassesOnBuiltInDataAndReportsEveryModeAndFamily()
    {
        var (code, stdout, stderr) = SageProcess.Run("verify", "--seq", "256", "--json");
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        using var json = JsonDocument.Parse(stdout);
        Assert.True(json.RootElement.GetProperty("passed").GetBoolean());
        var rows = json.RootElement.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(5 * VerifyModeCount, rows.Count);
        foreach (var row in rows)
        {
            // Every metric is a finite number: nothing turned into NaN.
            Assert.Equal(JsonValueKind.Number, row.GetProperty("cosine").ValueKind);
            Assert.Equal(JsonValueKind.Number, row.GetProperty("relativeL1").ValueKind);
            Assert.True(row.GetProperty("modelsVerifiedOnHardware").GetBoolean());
        }
    }

    [Fact]
    public void BadArgumentsExitWithCode2AndSaySo()
    {
        var (code, stdout, stderr) = SageProcess.Run("verify", "--seq", "0");
        Assert.Equal(2, code);
        Assert.Contains("--seq", stdout + stderr);
    }

    [Fact]
    public void TcDotRejectsAnUnknownVariantWithCode2()
    {
        var (code, _, stderr) = SageProcess.Run("tc", "dot", "--variant", "no.such.variant");
        Assert.Equal(2, code);
        Assert.Contains("wgmma.e4m3.f32", stderr);
    }

    [Fact]
    public void InfoWithoutAGpuStillSucceedsAndSaysWhy()
    {
        var (code, stdout, _) = SageProcess.Run("info", "--json");
        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(stdout);
        bool available = json.RootElement.GetProperty("cudaAvailable").GetBoolean();
        if (!available) Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("reason").GetString()));
    }

    [Fact]
    public void TcDotEvaluatesAFileAsTextAndAsJson()
    {
        static string H(float x) => BitConverter.SingleToUInt32Bits(x).ToString("x8");
        string line = string.Join(',', Enumerable.Repeat(H(1f), 32)) + ";" + string.Join(',', Enumerable.Repeat(H(0.5f), 32)) + ";" + H(-3f);
        string file = Path.Combine(Path.GetTempPath(), $"sage-tc-{Guid.NewGuid():N}.txt");
        File.WriteAllText(file, line + "\n");
        try
        {
            var (code, stdout, stderr) = SageProcess.Run("tc", "dot", "--variant", "wgmma.e4m3.f32", "--input", file);
            Assert.True(code == 0, stderr);
            Assert.Equal(H(13f), stdout.Trim()); // 32 · 0.5 − 3, exact
            (code, stdout, stderr) = SageProcess.Run("tc", "dot", "--variant", "wgmma.e4m3.f32", "--input", file, "--json");
            Assert.True(code == 0, stderr);
            using var json = JsonDocument.Parse(stdout);
            Assert.Equal(H(13f), json.RootElement.GetProperty("results")[0].GetProperty("result").GetString());
        }
        finally
        {
            File.Delete(file);
        }
    }
}
