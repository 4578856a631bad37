using Sage.Emulation.Planning;
using Sage.Reference;
using Xunit;

namespace Sage.Property.Tests.Planning;

public class PlanFileTests
{
    private static Plan SmallPlan() => new ModePlanner(AccuracyBudget.Default with { MaxRmse = 0.5 }) { MeasureAll = true }.Plan(
    [
        PlannerData.Layer("blocks.0.attn", DataFamily.Gaussian, 7),
        PlannerData.Layer("blocks.1.attn", DataFamily.HeavyTail, 8, causal: true),
    ]);

    [Fact]
    public void JsonRoundTripKeepsEveryField()
    {
        var plan = SmallPlan();
        string json = plan.ToJson();
        var back = Plan.FromJson(json);
        Assert.Equal(json, back.ToJson());
        Assert.Equal(plan.Budget, back.Budget);
        Assert.Equal(plan.Tool, back.Tool);
        Assert.Equal(plan.Created, back.Created);
        for (int i = 0; i < plan.Layers.Count; i++)
        {
            Assert.Equal(plan.Layers[i].Mode, back.Layers[i].Mode);
            Assert.Equal(plan.Layers[i].Shape, back.Layers[i].Shape);
            Assert.Equal(plan.Layers[i].Measurements.Select(m => m.RelativeL1), back.Layers[i].Measurements.Select(m => m.RelativeL1));
        }
        Assert.Contains("\"pvAccumulation\": \"Fp16TwoLevel\"", json); // enums by name, readable and stable
    }

    [Fact]
    public void SaveAndLoadThroughAFile()
    {
        var plan = SmallPlan();
        string path = Path.Combine(Path.GetTempPath(), $"sage-plan-{Guid.NewGuid():N}.json");
        try
        {
            plan.Save(path);
            var back = Plan.Load(path);
            Assert.Equal(plan.ToJson(), back.ToJson());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void NaNMetricsSurviveTheRoundTrip()
    {
        var plan = SmallPlan();
        var layer = plan.Layers[0];
        var broken = layer with { Measurements = [layer.Measurements[0] with { CosineSimilarity = double.NaN, Admitted = false, Violations = ["non-finite values"] }] };
        var withNaN = plan with { Layers = [broken] };
        var back = Plan.FromJson(withNaN.ToJson());
        Assert.True(double.IsNaN(back.Layers[0].Measurements[0].CosineSimilarity));
    }

    [Fact]
    public void OptionsForReturnsDirectlyUsableSageOptions()
    {
        var plan = SmallPlan();
        foreach (var layer in plan.Layers)
        {
            var options = plan.OptionsFor(layer.Name);
            var candidate = ModeSpeeds.Get(layer.Mode);
            Assert.Equal(candidate.Options, options);
            if (options is not null)
            {
                var l = PlannerData.Layer(layer.Name, DataFamily.Gaussian, 1);
                options.Validate(l.Problem); // runnable as is
            }
        }
        var fallback = plan with { Layers = [plan.Layers[0] with { Mode = "fp16-reference", Options = null }] };
        Assert.Null(fallback.OptionsFor("blocks.0.attn"));
        var e = Assert.Throws<KeyNotFoundException>(() => plan.OptionsFor("blocks.9.attn"));
        Assert.Contains("blocks.9.attn", e.Message);
        Assert.Contains("blocks.0.attn", e.Message);
    }

    [Theory]
    [InlineData("{", "Not a plan file")]
    [InlineData("null", "null")]
    [InlineData("{\"formatVersion\": 99, \"tool\": \"x\", \"created\": \"2026-01-01T00:00:00Z\", \"budget\": {\"minCosineSimilarity\": 0.9, \"maxRelativeL1\": 0.1}, \"candidates\": [], \"layers\": []}", "version 99")]
    [InlineData("{\"formatVersion\": 1}", "Not a plan file")]
    public void MalformedPlanFilesFailClearly(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => Plan.FromJson(json));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void PlannedOptionsRoundTripEverySageOptionsField()
    {
        var options = new SageOptions
        {
            QkFormat = QkFormat.Int4, Granularity = QuantGranularity.PerWarp, SmoothK = false, SmoothQ = true,
            PvAccumulation = PvAccumulation.Fp32, OutputType = ElementType.BFloat16, SmoothV = true, PEncoding = PEncoding.LogLinear,
            KeyMeanTokens = KeyMeanTokens.Strided,
        };
        Assert.Equal(options, PlannedOptions.From(options).ToSageOptions());
    }

    [Fact]
    public void APlanFileWrittenBeforeTheEncodingWasStoredRunsItsLayersWithExp2()
    {
        // Format version 1 as its first files were written: no target, speed table, SmoothV or P encoding. Those plans
        // were all evaluated with Exp2 codes, the only encoding then, so that is what applying them must run.
        const string options = "{\"qkFormat\": \"Int8\", \"granularity\": \"PerThread\", \"smoothK\": true, \"smoothQ\": false, \"pvAccumulation\": \"Fp32TwoLevel\", \"outputType\": \"Float16\"}";
        string json = $$"""
            {
              "formatVersion": 1, "tool": "Sage.Emulation 0.1", "created": "2026-11-20T00:00:00+00:00",
              "budget": {"minCosineSimilarity": 0.998, "maxRelativeL1": 0.06},
              "candidates": [
                {"name": "int8-fp32x2", "description": "d", "relativeSpeed": 1, "speedMeasured": true, "speedSource": "s", "fallback": false, "options": {{options}}},
                {"name": "fp16-reference", "description": "d", "relativeSpeed": 0.53, "speedMeasured": true, "speedSource": "s", "fallback": true, "options": null}
              ],
              "layers": [
                {"name": "l0", "shape": {"batch": 1, "queryHeads": 2, "keyValueHeads": 1, "queryLength": 256, "keyLength": 256, "headDim": 64},
                 "causal": false, "mode": "int8-fp32x2", "options": {{options}}, "sampledRowsPerHead": 256, "queryLength": 256,
                 "measurements": [{"mode": "int8-fp32x2", "cosineSimilarity": 0.9995, "relativeL1": 0.03, "rmse": 0.01, "maxAbsError": 0.05,
                                   "compared": 32768, "admitted": true, "violations": [], "seconds": 0.1}]}
              ]
            }
            """;
        var plan = Plan.FromJson(json);
        Assert.Equal(ModeSpeeds.Int8Fp32TwoLevel.Options, plan.OptionsFor("l0"));
        Assert.Equal(PEncoding.Exp2, plan.Layers[0].Options!.PEncoding);
        Assert.Equal(PEncoding.Exp2, plan.Candidates[0].Options!.PEncoding);
        Assert.Equal(KeyMeanTokens.All, plan.Layers[0].Options!.KeyMeanTokens); // nor a K mean other than every token's
        // Saved again, the encoding is written out and means the same.
        Assert.Contains("\"pEncoding\": \"Exp2\"", plan.ToJson());
        Assert.Equal(plan.OptionsFor("l0"), Plan.FromJson(plan.ToJson()).OptionsFor("l0"));
    }
}
