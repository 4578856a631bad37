using System.Diagnostics;
using Sage.Cli.Commands;
using Sage.Emulation.Planning;
using Sage.Reference;
using Sage.Reference.Calibration;
using Xunit;

namespace Sage.Property.Tests.Planning;

/// <summary>`sage plan` end to end on tiny generated calibration sets, as a user runs it (a separate process).</summary>
public class PlanCommandTests
{
    private static (int ExitCode, string Stdout, string Stderr) Sage(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(PlanCommand).Assembly.Location);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "sage plan did not finish in 2 minutes");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private static CalibrationLayer Layer(string name, DataFamily family, int seed, TensorLayout layout = TensorLayout.HND)
    {
        var l = PlannerData.Layer(name, family, seed, length: 192, layout: layout);
        return new CalibrationLayer(l.Name, l.Problem, l.Q, l.K, l.V);
    }

    private static string TempFolder()
    {
        string path = Path.Combine(Path.GetTempPath(), $"sage-plan-cli-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    [Fact]
    public void AUsersSpeedTableAndTheEmulatorTargetAreUsedAndRecorded()
    {
        string folder = TempFolder();
        try
        {
            string calib = Path.Combine(folder, "calib.safetensors"), output = Path.Combine(folder, "plan.json");
            string speeds = Path.Combine(folder, "speeds.json");
            var table = ModeSpeedTable.Recorded with
            {
                Source = "my own bench", Device = "test GPU",
                Modes = [new ModeSpeedEntry(QkFormat.Int8, QuantGranularity.PerThread, PvAccumulation.Fp32, 1, 1, 500, 500),
                         new ModeSpeedEntry(QkFormat.Int8, QuantGranularity.PerThread, PvAccumulation.Fp16TwoLevel, 1, 1, 100, 100)],
            };
            File.WriteAllText(speeds, table.ToJson());
            CalibrationSetWriter.WriteSafetensors(calib, [Layer("l0", DataFamily.Gaussian, 1)]);

            var (code, _, stderr) = Sage("plan", calib, "-o", output, "--json", "--budget-cosine", "0", "--budget-rel-l1", "10", "--speeds", speeds);
            Assert.True(code == 0, $"exit {code}: {stderr}");
            var plan = Plan.Load(output);
            Assert.Equal(["int8-fp32", "int8-fp16x2", "fp16-reference"], plan.Candidates.Select(c => c.Name));
            Assert.Equal("int8-fp32", plan.Layers[0].Mode); // everything fits: the measured fastest wins
            Assert.StartsWith("my own bench", plan.SpeedTable);
            Assert.Equal(PlanTarget.Cuda, plan.Target);

            (code, _, stderr) = Sage("plan", calib, "-o", output, "--json", "--target", "emulator");
            Assert.True(code == 0, $"exit {code}: {stderr}");
            plan = Plan.Load(output);
            Assert.Equal(PlanTarget.Emulator, plan.Target);
            Assert.Equal("int4-fp16x2", plan.Candidates[0].Name);
            Assert.Equal(ModeSpeeds.Describe(ModeSpeedTable.Recorded), plan.SpeedTable);

            File.WriteAllText(speeds, "{\"format\": \"nope\"}");
            (code, _, stderr) = Sage("plan", calib, "-o", output, "--speeds", speeds);
            Assert.Equal(2, code);
            Assert.Contains("speeds.json", stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A twin of int8-fp16x2 measured faster than it (its row the only other one in the table): the log-linear P
    /// encoding, or the strided K mean. The planner's base modes name the full K mean (SageOptions' default is the strided
    /// one since session 40).</summary>
    public static TheoryData<string, ModeSpeedEntry, string, SageOptions, string> FasterTwins => new()
    {
        {
            "int8-fp16x2-loglin", new ModeSpeedEntry(QkFormat.Int8, QuantGranularity.PerThread, PvAccumulation.Fp16TwoLevel, 1, 1, 112, 112, PEncoding.LogLinear),
            "int8-fp16x2-loglin (1.00x) > int8-fp16x2 (0.89x)", new SageOptions { PEncoding = PEncoding.LogLinear, KeyMeanTokens = KeyMeanTokens.All },
            "\"pEncoding\": \"LogLinear\""
        },
        {
            "int8-fp16x2-strided", new ModeSpeedEntry(QkFormat.Int8, QuantGranularity.PerThread, PvAccumulation.Fp16TwoLevel, 1, 1, 105, 105, KeyMean: KeyMeanTokens.Strided),
            "int8-fp16x2-strided (1.00x) > int8-fp16x2 (0.95x)", new SageOptions { KeyMeanTokens = KeyMeanTokens.Strided }, "\"keyMeanTokens\": \"Strided\""
        },
    };

    [Theory]
    [MemberData(nameof(FasterTwins))]
    public void ATwinModeMeasuredFastestIsPlannedPrintedAndStoredWithItsOptions(string mode, ModeSpeedEntry twin, string printedOrder,
        SageOptions options, string storedOption)
    {
        string folder = TempFolder();
        try
        {
            string calib = Path.Combine(folder, "calib.safetensors"), output = Path.Combine(folder, "plan.json");
            string speeds = Path.Combine(folder, "speeds.json");
            var table = ModeSpeedTable.Recorded with
            {
                Source = "bench with a twin", Device = "test GPU",
                Modes = [new ModeSpeedEntry(QkFormat.Int8, QuantGranularity.PerThread, PvAccumulation.Fp16TwoLevel, 1, 1, 100, 100), twin],
            };
            File.WriteAllText(speeds, table.ToJson());
            CalibrationSetWriter.WriteSafetensors(calib, [Layer("l0", DataFamily.Gaussian, 6)]);

            var (code, stdout, stderr) = Sage("plan", calib, "-o", output, "--budget-cosine", "0", "--budget-rel-l1", "10", "--speeds", speeds);
            Assert.True(code == 0, $"exit {code}: {stderr}");
            Assert.Contains(printedOrder, stdout); // the order as printed (no fp32x2 row: the fastest is 1)
            var plan = Plan.Load(output);
            Assert.Equal(mode, plan.Layers[0].Mode);
            Assert.Equal(options, plan.OptionsFor("l0"));
            Assert.Contains(storedOption, File.ReadAllText(output));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void PlansASafetensorsSetAndWritesALoadablePlan()
    {
        string folder = TempFolder();
        try
        {
            string calib = Path.Combine(folder, "calib.safetensors"), output = Path.Combine(folder, "plan.json");
            CalibrationSetWriter.WriteSafetensors(calib, [Layer("model.layers.0", DataFamily.Gaussian, 1), Layer("model.layers.1", DataFamily.KChannelBias, 2)]);
            var (code, stdout, stderr) = Sage("plan", calib, "-o", output, "--json", "--budget-cosine", "0.99");
            Assert.True(code == 0, $"exit {code}: {stderr}");
            var plan = Plan.Load(output);
            Assert.Equal(["model.layers.0", "model.layers.1"], plan.Layers.Select(l => l.Name));
            Assert.Equal(0.99, plan.Budget.MinCosineSimilarity);
            Assert.Equal(AccuracyBudget.Default.MaxRelativeL1, plan.Budget.MaxRelativeL1);
            Assert.Equal(plan.ToJson(), Plan.FromJson(stdout).ToJson());
            Assert.All(plan.Layers, l => Assert.NotNull(plan.OptionsFor(l.Name)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void PlansAnNpyFolderInNhdLayoutWithTheTableReport()
    {
        string folder = TempFolder();
        try
        {
            string calib = Path.Combine(folder, "calib"), output = Path.Combine(folder, "plan.json");
            CalibrationSetWriter.WriteNpyFolder(calib, [Layer("attn0", DataFamily.Gaussian, 3, TensorLayout.NHD)]);
            var (code, stdout, stderr) = Sage("plan", calib, "--layout", "NHD", "-o", output, "--budget-cosine", "1", "--budget-rel-l1", "0");
            Assert.True(code == 0, $"exit {code}: {stderr}");
            Assert.Contains("attn0", stdout);
            Assert.Contains("fp16-reference", stdout); // nothing quantised is exact
            Assert.Null(Plan.Load(output).OptionsFor("attn0"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void ATruncatedFileExitsWithCode2NamingTheFile()
    {
        string folder = TempFolder();
        try
        {
            string calib = Path.Combine(folder, "calib.safetensors");
            CalibrationSetWriter.WriteSafetensors(calib, [Layer("l0", DataFamily.Gaussian, 4)]);
            var bytes = File.ReadAllBytes(calib);
            File.WriteAllBytes(calib, bytes[..^100]);
            var (code, _, stderr) = Sage("plan", calib, "-o", Path.Combine(folder, "plan.json"));
            Assert.Equal(2, code);
            Assert.Contains("calib.safetensors", stderr);
            Assert.False(File.Exists(Path.Combine(folder, "plan.json")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("plan")]
    [InlineData("study", "fp16-accum")]
    public void HelpRendersWithExamples(params string[] command)
    {
        var (code, stdout, stderr) = Sage([.. command, "--help"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("EXAMPLES", stdout);
    }

    [Fact]
    public void AnUnwritableOutputExitsWithCode2()
    {
        string folder = TempFolder();
        try
        {
            string calib = Path.Combine(folder, "calib.safetensors");
            CalibrationSetWriter.WriteSafetensors(calib, [Layer("l0", DataFamily.Gaussian, 5)]);
            var (code, _, stderr) = Sage("plan", calib, "-o", Path.Combine(folder, "no-such-folder", "plan.json"), "--json");
            Assert.Equal(2, code);
            Assert.Contains("cannot write the plan", stderr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void AMissingPathAndBadFlagsExitWithCode2()
    {
        Assert.Equal(2, Sage("plan", "/nonexistent/calib.safetensors").ExitCode);
        Assert.Equal(2, Sage("plan", "x", "--rows", "0").ExitCode);
        Assert.Equal(2, Sage("plan", "x", "--budget-cosine", "2").ExitCode);
    }

    [Fact]
    public void BudgetFlagsOverrideTheBudgetFileWhichOverridesTheDefault()
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "{\"minCosineSimilarity\": 0.95, \"maxRelativeL1\": 0.2, \"maxRmse\": 0.01}");
            var budget = PlanCommand.ResolveBudget(new PlanCommand.Settings { BudgetFile = file, BudgetRelativeL1 = 0.1 });
            Assert.Equal(new AccuracyBudget(0.95, 0.1, 0.01, null), budget);
            Assert.Equal(AccuracyBudget.Default, PlanCommand.ResolveBudget(new PlanCommand.Settings()));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
