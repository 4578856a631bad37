using Sage.Emulation.Planning;
using Sage.Reference;
using Xunit;

namespace Sage.Property.Tests.Planning;

/// <summary>
/// The strided key-mean twins of the six INT8 per-thread modes (SmoothK's trimmed mean of 128 strided tokens) as planner
/// candidates: offered only where a speed table has their rows, ordered by measured speed like the others, ties broken
/// toward the full mean (the more accurate K codes), and carried into the plan so that applying it runs the key mean
/// that was evaluated.
/// </summary>
public class StridedMeanCandidateTests
{
    private static ModeSpeedEntry Row(PvAccumulation pv, PEncoding p, KeyMeanTokens keyMean, double e2eTflops) =>
        new(QkFormat.Int8, QuantGranularity.PerThread, pv, 1, 1, e2eTflops, e2eTflops, p, keyMean);

    /// <summary>The three Exp2 full-mean rows; FP16 two-level's strided twin 10% ahead of everything, FP32 two-level's
    /// 1% ahead of its full-mean twin (a tie), FP32 single-level's 3% ahead of its twin but still below the FP16 two-level
    /// strided lead.</summary>
    private static ModeSpeedTable StridedTable() => ModeSpeedTable.Recorded with
    {
        Source = "synthetic", Device = "test GPU",
        Modes =
        [
            Row(PvAccumulation.Fp16TwoLevel, PEncoding.Exp2, KeyMeanTokens.All, 100),
            Row(PvAccumulation.Fp16TwoLevel, PEncoding.Exp2, KeyMeanTokens.Strided, 110),
            Row(PvAccumulation.Fp32TwoLevel, PEncoding.Exp2, KeyMeanTokens.All, 100),
            Row(PvAccumulation.Fp32TwoLevel, PEncoding.Exp2, KeyMeanTokens.Strided, 101),
            Row(PvAccumulation.Fp32, PEncoding.Exp2, KeyMeanTokens.All, 90),
            Row(PvAccumulation.Fp32, PEncoding.Exp2, KeyMeanTokens.Strided, 92.7),
        ],
    };

    [Fact]
    public void StridedRowsBecomeCandidatesOrderedBySpeedWithTiesGoingToTheFullMean()
    {
        var c = ModeSpeeds.CandidatesFor(PlanTarget.Cuda, StridedTable());
        // 110 leads by 10%: first. 100, 100 and 101 tie: accuracy order, every full-mean mode before any strided one,
        // although int8-fp32x2-strided (101) is the fastest of them. 92.7 is 3% ahead of 90: not a tie.
        Assert.Equal(["int8-fp16x2-strided", "int8-fp16x2", "int8-fp32x2", "int8-fp32x2-strided", "int8-fp32-strided", "int8-fp32", "fp16-reference"],
            c.Select(x => x.Name));
        Assert.Equal([1.1, 1.0, 1.0, 1.01, 0.927, 0.9], c.Take(6).Select(x => x.RelativeSpeed), (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.All(c.Take(6), x => Assert.True(x.SpeedMeasured));
        Assert.Contains("110.0 TFLOPS", c[0].SpeedSource);
        foreach (var x in c.Take(6))
        {
            bool strided = x.Name.EndsWith("-strided", StringComparison.Ordinal);
            Assert.Equal(strided ? KeyMeanTokens.Strided : KeyMeanTokens.All, x.Options!.KeyMeanTokens);
            Assert.Equal(ModeSpeeds.Get(x.Name).Options, x.Options);
        }
    }

    [Theory]
    [InlineData(101.5, new[] { "int8-fp16x2-loglin", "int8-fp16x2-loglin-strided" })] // 1.5% ahead: a tie, the full mean first
    [InlineData(103.0, new[] { "int8-fp16x2-loglin-strided", "int8-fp16x2-loglin" })] // 3% ahead: measurably faster
    public void AStridedTwinRanksBeforeItsFullMeanModeOnlyWhenMeasurablyFaster(double strided, string[] expected)
    {
        var table = ModeSpeedTable.Recorded with
        {
            Modes =
            [
                Row(PvAccumulation.Fp16TwoLevel, PEncoding.LogLinear, KeyMeanTokens.Strided, strided),
                Row(PvAccumulation.Fp16TwoLevel, PEncoding.LogLinear, KeyMeanTokens.All, 100),
            ],
        };
        var c = ModeSpeeds.CandidatesFor(PlanTarget.Cuda, table);
        Assert.Equal([.. expected, "fp16-reference"], c.Select(x => x.Name));
        var twin = c.Single(x => x.Name == "int8-fp16x2-loglin-strided");
        Assert.Equal(new SageOptions { PEncoding = PEncoding.LogLinear, KeyMeanTokens = KeyMeanTokens.Strided }, twin.Options);
    }

    [Fact]
    public void ATableWithoutStridedRowsOffersNoStridedMode()
    {
        // The recorded table (full-mean rows only, until a GPU run records strided ones) and any table without them.
        var fullOnly = ModeSpeedTable.Recorded with { Modes = ModeSpeedTable.Recorded.Modes.Where(m => m.KeyMean == KeyMeanTokens.All).ToList() };
        foreach (var target in new[] { PlanTarget.Cuda, PlanTarget.Emulator })
        {
            var c = ModeSpeeds.CandidatesFor(target, fullOnly);
            Assert.DoesNotContain(c, x => x.Options?.KeyMeanTokens == KeyMeanTokens.Strided);
            Assert.DoesNotContain(c, x => x.Name.EndsWith("-strided", StringComparison.Ordinal));
            Assert.Contains(c, x => x.Name == "int8-fp16x2");
        }
        // Only the twins the table measured are offered, and their rows do not stand in for another mode's.
        var one = ModeSpeedTable.Recorded with
        {
            Modes = [.. fullOnly.Modes, Row(PvAccumulation.Fp32, PEncoding.LogLinear, KeyMeanTokens.Strided, 10)],
        };
        var withOne = ModeSpeeds.CandidatesFor(PlanTarget.Cuda, one);
        Assert.Equal(["int8-fp32-loglin-strided"], withOne.Where(x => x.Options?.KeyMeanTokens == KeyMeanTokens.Strided).Select(x => x.Name));
        Assert.Equal("int8-fp32-loglin-strided", withOne[^2].Name); // 10 TFLOPS: slowest, just before the fallback
        // A table of strided rows alone is a table of the INT8 modes too: its twins are offered, the fallback last.
        var stridedOnly = ModeSpeedTable.Recorded with { Modes = [Row(PvAccumulation.Fp32TwoLevel, PEncoding.Exp2, KeyMeanTokens.Strided, 50)] };
        Assert.Equal(["int8-fp32x2-strided", "fp16-reference"], ModeSpeeds.CandidatesFor(PlanTarget.Cuda, stridedOnly).Select(x => x.Name));
    }

    [Fact]
    public void TheEmulatorTargetOffersTheTwinsAfterInt4()
    {
        var cuda = ModeSpeeds.CandidatesFor(PlanTarget.Cuda, StridedTable());
        var emulator = ModeSpeeds.CandidatesFor(PlanTarget.Emulator, StridedTable());
        Assert.Equal("int4-fp16x2", emulator[0].Name);
        Assert.Equal(KeyMeanTokens.All, emulator[0].Options!.KeyMeanTokens);
        Assert.Equal(cuda.Select(x => x.Name), emulator.Skip(1).Select(x => x.Name));
    }

    [Fact]
    public void EachTwinIsItsFullMeanModeWithTheStridedMeanAndIsKnownByName()
    {
        PlanCandidate[] full =
        [
            ModeSpeeds.Int8Fp16TwoLevel, ModeSpeeds.Int8Fp32TwoLevel, ModeSpeeds.Int8Fp32,
            ModeSpeeds.Int8Fp16TwoLevelLogLinear, ModeSpeeds.Int8Fp32TwoLevelLogLinear, ModeSpeeds.Int8Fp32LogLinear,
        ];
        Assert.Equal(full.Select(x => x.Name + "-strided"), ModeSpeeds.StridedMeanCandidates.Select(x => x.Name));
        for (int i = 0; i < full.Length; i++)
        {
            var twin = ModeSpeeds.StridedMeanCandidates[i];
            Assert.Equal(full[i].Options! with { KeyMeanTokens = KeyMeanTokens.Strided }, twin.Options);
            Assert.StartsWith(full[i].Description, twin.Description);
            Assert.Contains("128 strided tokens", twin.Description);
            Assert.Contains("kernel-spec.md §1", twin.Description);
            Assert.False(twin.SpeedMeasured);
            Assert.Equal(full[i].RelativeSpeed, twin.RelativeSpeed); // unmeasured: its twin's speed as the estimate
            Assert.Same(twin, ModeSpeeds.Get(twin.Name));
        }
        var options = ModeSpeeds.Get("int8-fp16x2-loglin-strided").Options!;
        Assert.Equal((PvAccumulation.Fp16TwoLevel, PEncoding.LogLinear, KeyMeanTokens.Strided, QuantGranularity.PerThread, true),
            (options.PvAccumulation, options.PEncoding, options.KeyMeanTokens, options.Granularity, options.SmoothK));
        string message = Assert.Throws<ArgumentException>(() => ModeSpeeds.Get("int8-nope-strided")).Message;
        Assert.All(ModeSpeeds.StridedMeanCandidates, x => Assert.Contains(x.Name, message));
        // The anchor table (public kernels' speeds) and the log-linear twins keep the full mean.
        Assert.DoesNotContain(ModeSpeeds.AnchorCandidates, x => x.Options?.KeyMeanTokens == KeyMeanTokens.Strided);
        Assert.DoesNotContain(ModeSpeeds.LogLinearCandidates, x => x.Options?.KeyMeanTokens == KeyMeanTokens.Strided);
    }

    [Fact]
    public void APlanThatChoosesATwinRunsItWithTheStridedMean()
    {
        // 256 keys: the strided sample is every second token (KeyMeanSample.Of), so the twins' K codes are not their
        // full-mean modes'.
        var layer = PlannerData.Layer("l0", DataFamily.KChannelBias, 6);
        var candidates = ModeSpeeds.CandidatesFor(PlanTarget.Cuda, StridedTable());
        var plan = new ModePlanner(PlannerData.Everything) { Candidates = candidates, MeasureAll = true }.Plan([layer]);
        Assert.Equal("int8-fp16x2-strided", plan.Layers[0].Mode);
        Assert.Equal(KeyMeanTokens.Strided, plan.Layers[0].Options!.KeyMeanTokens);
        Assert.Equal(ModeSpeeds.Get("int8-fp16x2-strided").Options, plan.OptionsFor("l0"));

        string json = plan.ToJson();
        Assert.Contains("\"keyMeanTokens\": \"Strided\"", json);
        var back = Plan.FromJson(json);
        Assert.Equal(KeyMeanTokens.Strided, back.Layers[0].Options!.KeyMeanTokens);
        Assert.Equal(ModeSpeeds.Get("int8-fp16x2-strided").Options, back.OptionsFor("l0"));
        Assert.Equal(candidates.Select(x => x.Options?.KeyMeanTokens), back.Candidates.Select(x => x.Options?.KeyMeanTokens));

        // The planner emulated the key mean it records: a twin's error is not its full-mean mode's.
        var m = plan.Layers[0].Measurements.ToDictionary(x => x.Mode);
        foreach (var name in new[] { "int8-fp16x2", "int8-fp32x2", "int8-fp32" })
            Assert.NotEqual(m[name].RelativeL1, m[name + "-strided"].RelativeL1);
    }
}
