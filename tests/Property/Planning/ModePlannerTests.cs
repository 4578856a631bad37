using Sage.Emulation.Planning;
using Sage.Reference;
using Xunit;

namespace Sage.Property.Tests.Planning;

public class ModePlannerTests
{
    // The planner's mechanics are tested on the fixed anchor table, so that they do not move with a re-measurement.
    private static readonly IReadOnlyList<PlanCandidate> Anchors = ModeSpeeds.AnchorCandidates;

    [Fact]
    public void DefaultCandidatesAreTheRecordedCudaMeasurementFastestFirstWithoutInt4()
    {
        var c = ModeSpeeds.Candidates;
        var table = ModeSpeedTable.Recorded;
        // The three Exp2 modes; their log-linear twins too once the recorded run has timed that encoding; and the strided
        // key-mean twins of those once it has timed the strided mean.
        string[] modes = table.Modes.Any(m => m.PEncoding == PEncoding.LogLinear)
            ? ["int8-fp16x2", "int8-fp16x2-loglin", "int8-fp32", "int8-fp32-loglin", "int8-fp32x2", "int8-fp32x2-loglin"]
            : ["int8-fp16x2", "int8-fp32", "int8-fp32x2"];
        var expected = table.Modes.Any(m => m.KeyMean == KeyMeanTokens.Strided) ? modes.Concat(modes.Select(m => m + "-strided")) : modes;
        Assert.Equal(expected.Order(StringComparer.Ordinal), c.Take(c.Count - 1).Select(x => x.Name).Order(StringComparer.Ordinal));
        Assert.All(c.Take(c.Count - 1), x => Assert.Equal(QkFormat.Int8, x.Options!.QkFormat));
        Assert.All(c.Take(c.Count - 1), x => Assert.True(x.SpeedMeasured));
        // Fastest first up to the tie tolerance: no candidate is more than 2% slower than one after it.
        double Speed(PlanCandidate x) =>
            table.Find(QuantGranularity.PerThread, x.Options!.PvAccumulation, encoding: x.Options.PEncoding, keyMean: x.Options.KeyMeanTokens)!.EndToEndTflops;
        for (int i = 0; i < c.Count - 1; i++)
            for (int j = i + 1; j < c.Count - 1; j++)
            {
                double a = Speed(c[i]);
                double b = Speed(c[j]);
                Assert.True(a >= b * (1 - ModeSpeeds.SpeedTieTolerance), $"{c[i].Name} ({a} TFLOPS) before {c[j].Name} ({b} TFLOPS)");
            }
        Assert.Equal(1.0, c.Single(x => x.Name == "int8-fp32x2").RelativeSpeed, 12);
        Assert.True(c[^1].IsFallback);
        Assert.Contains(table.Device, c[0].SpeedSource);
        Assert.Equal(ModeSpeeds.Describe(table), new ModePlanner(AccuracyBudget.Default).SpeedTable);
    }

    [Fact]
    public void TheEmulatorTargetAddsInt4FirstMarkedEmulatorOnly()
    {
        var c = ModeSpeeds.CandidatesFor(PlanTarget.Emulator, ModeSpeedTable.Recorded);
        Assert.Equal("int4-fp16x2", c[0].Name);
        Assert.Contains("emulator only", c[0].Description);
        Assert.False(c[0].SpeedMeasured);
        Assert.Equal(ModeSpeeds.Candidates.Select(x => x.Name), c.Skip(1).Select(x => x.Name));
    }

    [Fact]
    public void AUsersSpeedTableReordersTheCandidates()
    {
        var table = ModeSpeedTable.FromJson(ModeSpeedTable.Recorded.ToJson()) with
        {
            Source = "my run", Device = "my GPU",
            Modes =
            [
                new ModeSpeedEntry(QkFormat.Int8, QuantGranularity.PerThread, PvAccumulation.Fp32, 1, 1, 300, 300),
                new ModeSpeedEntry(QkFormat.Int8, QuantGranularity.PerThread, PvAccumulation.Fp32TwoLevel, 1, 1, 200, 200),
                new ModeSpeedEntry(QkFormat.Int8, QuantGranularity.PerThread, PvAccumulation.Fp16TwoLevel, 1, 1, 100, 100),
            ],
        };
        var back = ModeSpeedTable.FromJson(table.ToJson());
        Assert.Equal(table.Modes, back.Modes);
        var c = ModeSpeeds.CandidatesFor(PlanTarget.Cuda, back);
        Assert.Equal(["int8-fp32", "int8-fp32x2", "int8-fp16x2", "fp16-reference"], c.Select(x => x.Name));
        Assert.Equal([1.5, 1.0, 0.5], c.Take(3).Select(x => x.RelativeSpeed));
        Assert.Contains("my run", c[0].SpeedSource);
        var plan = new ModePlanner(PlannerData.Everything) { Candidates = c, SpeedTable = ModeSpeeds.Describe(back) }
            .Plan([PlannerData.Layer("l0", DataFamily.Gaussian, 1)]);
        Assert.Equal("int8-fp32", plan.Layers[0].Mode);
        Assert.StartsWith("my run", plan.SpeedTable);
        Assert.Equal(PlanTarget.Cuda, Plan.FromJson(plan.ToJson()).Target);
    }

    [Fact]
    public void SpeedsWithinTheTieToleranceAreOrderedByAccuracy()
    {
        // A 0.4% lead (noise for a median of 10) must not put the less accurate single-level FP32 mode first; a 10% lead does.
        ModeSpeedTable Table(double fp32) => ModeSpeedTable.Recorded with
        {
            Modes =
            [
                new ModeSpeedEntry(QkFormat.Int8, QuantGranularity.PerThread, PvAccumulation.Fp32, 1, 1, fp32, fp32),
                new ModeSpeedEntry(QkFormat.Int8, QuantGranularity.PerThread, PvAccumulation.Fp32TwoLevel, 1, 1, 100, 100),
                new ModeSpeedEntry(QkFormat.Int8, QuantGranularity.PerThread, PvAccumulation.Fp16TwoLevel, 1, 1, 99.5, 99.5),
            ],
        };
        Assert.Equal(["int8-fp16x2", "int8-fp32x2", "int8-fp32", "fp16-reference"],
            ModeSpeeds.CandidatesFor(PlanTarget.Cuda, Table(100.4)).Select(x => x.Name));
        Assert.Equal(["int8-fp32", "int8-fp16x2", "int8-fp32x2", "fp16-reference"],
            ModeSpeeds.CandidatesFor(PlanTarget.Cuda, Table(110)).Select(x => x.Name));
    }

    [Theory]
    [InlineData("{}", "required")]
    [InlineData("{\"format\":\"other/1\",\"source\":\"s\",\"device\":\"d\",\"shape\":{\"batch\":1,\"heads\":1,\"sequenceLength\":1,\"headDim\":64,\"causal\":false},\"modes\":[]}", "other/1")]
    [InlineData("{\"source\":\"s\",\"device\":\"d\",\"shape\":{\"batch\":1,\"heads\":1,\"sequenceLength\":1,\"headDim\":64,\"causal\":false},\"modes\":[]}", "no mode")]
    [InlineData("not json", "not a mode speed table")]
    public void MalformedSpeedTablesAreRefusedSayingWhy(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => ModeSpeedTable.FromJson(json, "t.json"));
        Assert.Contains("t.json", e.Message);
        Assert.Contains(expected, e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void AnchorCandidatesAreOrderedFastestFirstAndEndWithTheFallback()
    {
        var c = Anchors;
        Assert.Equal(["int4-fp16x2", "int8-fp16x2", "int8-fp32x2", "int8-fp32", "fp16-reference"], c.Select(x => x.Name));
        for (int i = 1; i < c.Count; i++) Assert.True(c[i - 1].RelativeSpeed >= c[i].RelativeSpeed, $"{c[i - 1].Name} before {c[i].Name}");
        Assert.True(c[^1].IsFallback);
        Assert.All(c.Take(c.Count - 1), x => Assert.False(x.IsFallback));
        // SageAttention2++ is the library default; since session 40 with SmoothK's trimmed strided mean, the planner's
        // "-strided" twin, while the planner's base modes name the full mean.
        Assert.Equal(SageOptions.Default, ModeSpeeds.Get("int8-fp16x2-strided").Options);
        Assert.Equal(SageOptions.Default with { KeyMeanTokens = KeyMeanTokens.All }, ModeSpeeds.Int8Fp16TwoLevel.Options);
    }

    [Fact]
    public void ABudgetEverythingMeetsPicksTheFastestModeAndStopsThere()
    {
        var layer = PlannerData.Layer("l0", DataFamily.Gaussian, 1);
        var plan = new ModePlanner(PlannerData.Everything) { Candidates = Anchors }.PlanLayer(layer);
        Assert.Equal("int4-fp16x2", plan.Mode);
        Assert.Equal(ModeSpeeds.Int4Fp16TwoLevel.Options, plan.Options!.ToSageOptions());
        var only = Assert.Single(plan.Measurements);
        Assert.True(only.Admitted);
        Assert.Equal(layer.Problem.Shape.QueryLength * 2 * 64, only.Compared);
    }

    [Fact]
    public void ABudgetNothingMeetsFallsBackToFullPrecisionAfterMeasuringEveryMode()
    {
        var layer = PlannerData.Layer("l0", DataFamily.Gaussian, 2);
        var plan = new ModePlanner(PlannerData.Nothing) { Candidates = Anchors }.PlanLayer(layer);
        Assert.Equal("fp16-reference", plan.Mode);
        Assert.True(plan.FullPrecision);
        Assert.Null(plan.Options);
        Assert.Equal(Anchors.Select(c => c.Name), plan.Measurements.Select(m => m.Mode));
        Assert.All(plan.Measurements.Take(4), m => Assert.False(m.Admitted));
        Assert.All(plan.Measurements.Take(4), m => Assert.NotEmpty(m.Violations));
        // Exact attention rounded to FP16 is far closer to the reference than any quantised mode.
        Assert.True(plan.Measurements[^1].RelativeL1 < plan.Measurements.Take(4).Min(m => m.RelativeL1) / 10);
    }

    [Fact]
    public void ABudgetOnlyFp32ModesMeetPicksInt8Fp32TwoLevel()
    {
        // FP16 accumulation costs little accuracy, so a budget between the FP16 and FP32 modes' errors is found by
        // measurement: the first seeded data set on which FP32 two-level is measurably better than FP16 two-level.
        var all = new ModePlanner(PlannerData.Everything) { MeasureAll = true, Candidates = Anchors };
        PlanLayerInput? layer = null;
        double fp32RelL1 = 0;
        foreach (int seed in Enumerable.Range(1, 12))
        {
            var candidate = PlannerData.Layer("l0", seed % 2 == 0 ? DataFamily.Gaussian : DataFamily.KChannelBias, seed);
            var m = all.PlanLayer(candidate).Measurements.ToDictionary(x => x.Mode);
            double fp32 = m["int8-fp32x2"].RelativeL1;
            if (fp32 < m["int8-fp16x2"].RelativeL1 && fp32 < m["int4-fp16x2"].RelativeL1)
            {
                layer = candidate;
                fp32RelL1 = fp32;
                break;
            }
        }
        Assert.NotNull(layer);

        var plan = new ModePlanner(new AccuracyBudget(-1.0, fp32RelL1)) { Candidates = Anchors }.PlanLayer(layer);
        Assert.Equal("int8-fp32x2", plan.Mode);
        Assert.Equal(PvAccumulation.Fp32TwoLevel, plan.Options!.PvAccumulation);
        Assert.Equal(["int4-fp16x2", "int8-fp16x2", "int8-fp32x2"], plan.Measurements.Select(m => m.Mode));
        Assert.Equal([false, false, true], plan.Measurements.Select(m => m.Admitted));
    }

    [Fact]
    public void MeasureAllRecordsEveryCandidateButStillChoosesTheFastestAdmitted()
    {
        var layer = PlannerData.Layer("l0", DataFamily.Gaussian, 3);
        var plan = new ModePlanner(AccuracyBudget.Default) { MeasureAll = true, Candidates = Anchors }.PlanLayer(layer);
        Assert.Equal(Anchors.Select(c => c.Name), plan.Measurements.Select(m => m.Mode));
        var firstAdmitted = plan.Measurements.First(m => m.Admitted);
        Assert.Equal(firstAdmitted.Mode, plan.Mode);
        Assert.Equal("int8-fp16x2", plan.Mode); // INT4 misses the default budget on Gaussian data (cosine ≈ 0.98)
    }

    [Fact]
    public void PlanCoversEveryLayerInOrderAndReportsProgress()
    {
        var layers = new[]
        {
            PlannerData.Layer("layer2", DataFamily.Gaussian, 4),
            PlannerData.Layer("layer10", DataFamily.VChannelBias, 5, causal: true, layout: TensorLayout.NHD),
        };
        var reports = new List<PlanProgress>();
        var plan = new ModePlanner(AccuracyBudget.Default) { Candidates = Anchors }.Plan(layers, new SyncProgress(reports.Add));
        Assert.Equal(["layer2", "layer10"], plan.Layers.Select(l => l.Name));
        Assert.True(plan.Layers[1].Causal);
        Assert.Equal(["reference", "int4-fp16x2", "int8-fp16x2", "done"], reports.Where(r => r.Layer == 0).Select(r => r.Step));
        Assert.All(reports, r => Assert.Equal(2, r.LayerCount));
        Assert.Equal(PlanBudget.From(AccuracyBudget.Default), plan.Budget);
    }

    [Fact]
    public void CandidateListsWithoutATrailingFallbackAreRefused()
    {
        var planner = new ModePlanner(AccuracyBudget.Default) { Candidates = [ModeSpeeds.Int8Fp16TwoLevel] };
        var e = Assert.Throws<ArgumentException>(() => planner.PlanLayer(PlannerData.Layer("l", DataFamily.Gaussian, 1)));
        Assert.Contains("fallback", e.Message);
        Assert.Contains("int8-fp16x2", e.Message);
    }

    [Fact]
    public void UnsupportedHeadDimIsRefusedBeforeAnyWork()
    {
        var layer = PlannerData.Layer("l", DataFamily.Gaussian, 1, headDim: 32);
        Assert.Throws<NotSupportedException>(() => new ModePlanner(AccuracyBudget.Default).PlanLayer(layer));
    }

    private sealed class SyncProgress(Action<PlanProgress> report) : IProgress<PlanProgress>
    {
        public void Report(PlanProgress value) => report(value);
    }
}
