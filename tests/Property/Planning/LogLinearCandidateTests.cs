using Sage.Emulation.Planning;
using Sage.Reference;
using Xunit;

namespace Sage.Property.Tests.Planning;

/// <summary>
/// The log-linear P twins of the INT8 modes as planner candidates: offered only where a speed table has their rows,
/// ordered by measured speed like the others, ties broken toward Exp2 (the more accurate encoding), and carried into
/// the plan so that applying it runs the encoding that was evaluated.
/// </summary>
public class LogLinearCandidateTests
{
    private static ModeSpeedEntry Row(PvAccumulation pv, PEncoding p, double e2eTflops) =>
        new(QkFormat.Int8, QuantGranularity.PerThread, pv, 1, 1, e2eTflops, e2eTflops, p);

    /// <summary>Six INT8 per-thread rows: FP16 two-level's log-linear twin 10% ahead, FP32 two-level's within the tie
    /// tolerance of everything else (0.5% ahead of its Exp2 twin), FP32 single-level's 1% ahead of its twin.</summary>
    private static ModeSpeedTable SixModes() => ModeSpeedTable.Recorded with
    {
        Source = "synthetic", Device = "test GPU",
        Modes =
        [
            Row(PvAccumulation.Fp16TwoLevel, PEncoding.Exp2, 100),
            Row(PvAccumulation.Fp16TwoLevel, PEncoding.LogLinear, 110),
            Row(PvAccumulation.Fp32TwoLevel, PEncoding.Exp2, 100.5),
            Row(PvAccumulation.Fp32TwoLevel, PEncoding.LogLinear, 101),
            Row(PvAccumulation.Fp32, PEncoding.Exp2, 99),
            Row(PvAccumulation.Fp32, PEncoding.LogLinear, 100),
        ],
    };

    [Fact]
    public void LogLinearRowsBecomeCandidatesOrderedBySpeedWithTiesGoingToExp2()
    {
        var c = ModeSpeeds.CandidatesFor(PlanTarget.Cuda, SixModes());
        // 110 leads by 10%: first. The rest lie within 2% of each other: accuracy order, every Exp2 mode before any
        // log-linear one, although int8-fp32x2-loglin (101) is the fastest of them.
        Assert.Equal(["int8-fp16x2-loglin", "int8-fp16x2", "int8-fp32x2", "int8-fp32", "int8-fp32x2-loglin", "int8-fp32-loglin", "fp16-reference"],
            c.Select(x => x.Name));
        Assert.Equal([110 / 100.5, 100 / 100.5, 1.0, 99 / 100.5, 101 / 100.5, 100 / 100.5], c.Take(6).Select(x => x.RelativeSpeed));
        Assert.All(c.Take(6), x => Assert.True(x.SpeedMeasured));
        Assert.Contains("110.0 TFLOPS", c[0].SpeedSource);
        foreach (var x in c.Take(6))
            Assert.Equal(x.Name.EndsWith("-loglin", StringComparison.Ordinal) ? PEncoding.LogLinear : PEncoding.Exp2, x.Options!.PEncoding);
    }

    [Fact]
    public void ATwinInsideTheTieToleranceRanksAfterItsExp2Mode()
    {
        // 1.5% ahead is a tie: the more accurate Exp2 codes win it; 3% ahead is not.
        ModeSpeedTable Table(double logLinear) => ModeSpeedTable.Recorded with
        {
            Modes = [Row(PvAccumulation.Fp16TwoLevel, PEncoding.LogLinear, logLinear), Row(PvAccumulation.Fp16TwoLevel, PEncoding.Exp2, 100)],
        };
        Assert.Equal(["int8-fp16x2", "int8-fp16x2-loglin", "fp16-reference"], ModeSpeeds.CandidatesFor(PlanTarget.Cuda, Table(101.5)).Select(x => x.Name));
        Assert.Equal(["int8-fp16x2-loglin", "int8-fp16x2", "fp16-reference"], ModeSpeeds.CandidatesFor(PlanTarget.Cuda, Table(103)).Select(x => x.Name));
    }

    [Fact]
    public void ATableWithoutLogLinearRowsOffersNoLogLinearMode()
    {
        // The recorded table as measured before the encoding existed (its log-linear rows dropped, should it have some).
        var exp2Only = ModeSpeedTable.Recorded with { Modes = ModeSpeedTable.Recorded.Modes.Where(m => m.PEncoding == PEncoding.Exp2).ToList() };
        foreach (var target in new[] { PlanTarget.Cuda, PlanTarget.Emulator })
        {
            var c = ModeSpeeds.CandidatesFor(target, exp2Only);
            Assert.DoesNotContain(c, x => x.Options?.PEncoding == PEncoding.LogLinear);
            Assert.Contains(c, x => x.Name == "int8-fp16x2");
        }
        // Only the twins the table measured are offered.
        var one = ModeSpeedTable.Recorded with
        {
            Modes = [.. exp2Only.Modes, Row(PvAccumulation.Fp32, PEncoding.LogLinear, 10)],
        };
        Assert.Equal(["int8-fp32-loglin"], ModeSpeeds.CandidatesFor(PlanTarget.Cuda, one).Where(x => x.Options?.PEncoding == PEncoding.LogLinear).Select(x => x.Name));
    }

    [Fact]
    public void TheEmulatorTargetOffersTheTwinsAfterInt4()
    {
        var cuda = ModeSpeeds.CandidatesFor(PlanTarget.Cuda, SixModes());
        var emulator = ModeSpeeds.CandidatesFor(PlanTarget.Emulator, SixModes());
        Assert.Equal("int4-fp16x2", emulator[0].Name);
        Assert.Equal(cuda.Select(x => x.Name), emulator.Skip(1).Select(x => x.Name));
    }

    [Fact]
    public void EachTwinIsItsExp2ModeWithLogLinearCodesAndIsKnownByName()
    {
        PlanCandidate[] exp2 = [ModeSpeeds.Int8Fp16TwoLevel, ModeSpeeds.Int8Fp32TwoLevel, ModeSpeeds.Int8Fp32];
        Assert.Equal(exp2.Select(x => x.Name + "-loglin"), ModeSpeeds.LogLinearCandidates.Select(x => x.Name));
        for (int i = 0; i < exp2.Length; i++)
        {
            var twin = ModeSpeeds.LogLinearCandidates[i];
            Assert.Equal(exp2[i].Options! with { PEncoding = PEncoding.LogLinear }, twin.Options);
            Assert.Contains("no exp2", twin.Description);
            Assert.False(twin.SpeedMeasured);
            Assert.Same(twin, ModeSpeeds.Get(twin.Name));
        }
        Assert.Contains("int8-fp32-loglin", Assert.Throws<ArgumentException>(() => ModeSpeeds.Get("int8-nope")).Message);
        // The anchor table (public kernels' speeds) has no log-linear mode and stays as it was.
        Assert.DoesNotContain(ModeSpeeds.AnchorCandidates, x => x.Options?.PEncoding == PEncoding.LogLinear);
    }

    [Fact]
    public void APlanThatChoosesATwinRunsItWithLogLinearCodes()
    {
        var layer = PlannerData.Layer("l0", DataFamily.Gaussian, 6);
        var candidates = ModeSpeeds.CandidatesFor(PlanTarget.Cuda, SixModes());
        var plan = new ModePlanner(PlannerData.Everything) { Candidates = candidates, MeasureAll = true }.Plan([layer]);
        Assert.Equal("int8-fp16x2-loglin", plan.Layers[0].Mode);
        Assert.Equal(PEncoding.LogLinear, plan.OptionsFor("l0")!.PEncoding);
        Assert.Equal(ModeSpeeds.Int8Fp16TwoLevelLogLinear.Options, plan.OptionsFor("l0"));

        string json = plan.ToJson();
        Assert.Contains("\"pEncoding\": \"LogLinear\"", json);
        var back = Plan.FromJson(json);
        Assert.Equal(ModeSpeeds.Int8Fp16TwoLevelLogLinear.Options, back.OptionsFor("l0"));
        Assert.Equal(candidates.Select(x => x.Options?.PEncoding), back.Candidates.Select(x => x.Options?.PEncoding));

        // The planner emulated the encoding it records: a twin's error is not its Exp2 mode's.
        var m = plan.Layers[0].Measurements.ToDictionary(x => x.Mode);
        foreach (var name in new[] { "int8-fp16x2", "int8-fp32x2", "int8-fp32" })
            Assert.NotEqual(m[name].RelativeL1, m[name + "-loglin"].RelativeL1);
    }
}
