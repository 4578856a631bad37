using Sage.Emulation.Planning;
using Xunit;

namespace Sage.Property.Tests.Planning;

/// <summary>The P encoding and key mean columns of a speed table: written as "p" and "keyMean", absent in tables measured
/// before them (read as Exp2 and every token).</summary>
public class ModeSpeedTableTests
{
    private const string Header =
        "{\"format\":\"sage-mode-speeds/1\",\"source\":\"s\",\"device\":\"d\",\"shape\":{\"batch\":1,\"heads\":1,\"sequenceLength\":1,\"headDim\":64,\"causal\":false},";

    [Fact]
    public void ATableWrittenBeforeTheEncodingExistedReadsAsExp2()
    {
        // A row as `sage bench --modes all` wrote it until the log-linear encoding came (RecordedModeSpeeds.json's rows).
        var table = ModeSpeedTable.FromJson(Header + "\"modes\":[" +
            "{\"qk\":\"Int8\",\"granularity\":\"PerThread\",\"pv\":\"Fp32\",\"kernelMs\":5.1,\"endToEndMs\":5.7,\"kernelTflops\":860,\"endToEndTflops\":772}]}");
        var row = Assert.Single(table.Modes);
        Assert.Equal(PEncoding.Exp2, row.PEncoding);
        Assert.Same(row, table.Find(QuantGranularity.PerThread, PvAccumulation.Fp32));
        Assert.Null(table.Find(QuantGranularity.PerThread, PvAccumulation.Fp32, encoding: PEncoding.LogLinear));
        Assert.Equal(ModeSpeedTable.CurrentFormat, table.Format);
    }

    [Fact]
    public void RowsCarryTheirEncodingNextToThePvAccumulationAndRoundTrip()
    {
        var exp2 = new ModeSpeedEntry(QkFormat.Int8, QuantGranularity.PerWarp, PvAccumulation.Fp32TwoLevel, 2, 3, 4, 5);
        var logLinear = exp2 with { PEncoding = PEncoding.LogLinear, EndToEndTflops = 6 };
        var table = ModeSpeedTable.Recorded with { Modes = [logLinear, exp2] };
        string json = table.ToJson();
        Assert.Contains("{\"qk\":\"Int8\",\"granularity\":\"PerWarp\",\"pv\":\"Fp32TwoLevel\",\"p\":\"LogLinear\",\"kernelMs\":2,", json);
        Assert.Contains("\"pv\":\"Fp32TwoLevel\",\"p\":\"Exp2\",", json);
        var back = ModeSpeedTable.FromJson(json);
        Assert.Equal(table.Modes, back.Modes);
        // Find tells the twins apart whatever their order in the table, Exp2 by default.
        Assert.Equal(exp2, back.Find(QuantGranularity.PerWarp, PvAccumulation.Fp32TwoLevel));
        Assert.Equal(logLinear, back.Find(QuantGranularity.PerWarp, PvAccumulation.Fp32TwoLevel, encoding: PEncoding.LogLinear));
    }

    [Fact]
    public void ATableWrittenBeforeTheKeyMeanExistedReadsAsEveryToken()
    {
        // Every row `sage bench --modes all` wrote until it timed the strided mean (RecordedModeSpeeds.json's rows).
        var table = ModeSpeedTable.FromJson(Header + "\"modes\":[" +
            "{\"qk\":\"Int8\",\"granularity\":\"PerThread\",\"pv\":\"Fp32\",\"p\":\"LogLinear\",\"kernelMs\":5.1,\"endToEndMs\":5.7,\"kernelTflops\":860,\"endToEndTflops\":772}]}");
        var row = Assert.Single(table.Modes);
        Assert.Equal(KeyMeanTokens.All, row.KeyMean);
        Assert.Same(row, table.Find(QuantGranularity.PerThread, PvAccumulation.Fp32, encoding: PEncoding.LogLinear));
        Assert.Null(table.Find(QuantGranularity.PerThread, PvAccumulation.Fp32, encoding: PEncoding.LogLinear, keyMean: KeyMeanTokens.Strided));
        Assert.All(ModeSpeedTable.Recorded.Modes, m => Assert.True(Enum.IsDefined(m.KeyMean)));
    }

    [Fact]
    public void AStridedKeyMeanRowRoundTripsNextToTheNamingColumnsAndFindTellsItApart()
    {
        var full = new ModeSpeedEntry(QkFormat.Int8, QuantGranularity.PerThread, PvAccumulation.Fp16TwoLevel, 2, 3, 4, 5, PEncoding.LogLinear);
        var strided = full with { KeyMean = KeyMeanTokens.Strided, EndToEndTflops = 6 };
        var table = ModeSpeedTable.Recorded with { Modes = [strided, full] };
        string json = table.ToJson();
        Assert.Contains("{\"qk\":\"Int8\",\"granularity\":\"PerThread\",\"pv\":\"Fp16TwoLevel\",\"p\":\"LogLinear\",\"keyMean\":\"Strided\",\"kernelMs\":2,", json);
        // The full-mean row is written as before the column existed: compact, and what older readers expect.
        Assert.Contains("{\"qk\":\"Int8\",\"granularity\":\"PerThread\",\"pv\":\"Fp16TwoLevel\",\"p\":\"LogLinear\",\"kernelMs\":2,", json);
        Assert.Equal(1, json.Split('\n').Count(line => line.Contains("\"keyMean\"", StringComparison.Ordinal)));
        var back = ModeSpeedTable.FromJson(json);
        Assert.Equal(table.Modes, back.Modes);
        Assert.Equal(KeyMeanTokens.Strided, back.Modes[0].KeyMean);
        // Find tells the twins apart whatever their order in the table, the full mean by default.
        Assert.Equal(full, back.Find(QuantGranularity.PerThread, PvAccumulation.Fp16TwoLevel, encoding: PEncoding.LogLinear));
        Assert.Equal(strided, back.Find(QuantGranularity.PerThread, PvAccumulation.Fp16TwoLevel, encoding: PEncoding.LogLinear, keyMean: KeyMeanTokens.Strided));
        Assert.Null(back.Find(QuantGranularity.PerThread, PvAccumulation.Fp16TwoLevel, keyMean: KeyMeanTokens.Strided)); // no Exp2 strided row
    }

    [Fact]
    public void AnUnknownKeyMeanIsRefusedSayingWhereAndABadRowNamesItsKeyMean()
    {
        var e = Assert.Throws<FormatException>(() => ModeSpeedTable.FromJson(Header + "\"modes\":[" +
            "{\"qk\":\"Int8\",\"granularity\":\"PerThread\",\"pv\":\"Fp32\",\"keyMean\":\"Half\",\"kernelMs\":1,\"endToEndMs\":1,\"kernelTflops\":1,\"endToEndTflops\":1}]}", "t.json"));
        Assert.Contains("t.json", e.Message);
        Assert.Contains("$.modes[0].keyMean", e.Message);

        e = Assert.Throws<FormatException>(() => ModeSpeedTable.FromJson(Header + "\"modes\":[" +
            "{\"qk\":\"Int8\",\"granularity\":\"PerThread\",\"pv\":\"Fp32\",\"keyMean\":\"Strided\",\"kernelMs\":1,\"endToEndMs\":1,\"kernelTflops\":1,\"endToEndTflops\":0}]}", "t.json"));
        Assert.Contains("Int8/PerThread/Fp32/Exp2", e.Message);
        Assert.Contains("key mean Strided", e.Message); // which of the twins is broken
    }

    [Fact]
    public void AnUnknownEncodingIsRefusedSayingWhere()
    {
        var e = Assert.Throws<FormatException>(() => ModeSpeedTable.FromJson(Header + "\"modes\":[" +
            "{\"qk\":\"Int8\",\"granularity\":\"PerThread\",\"pv\":\"Fp32\",\"p\":\"Exp10\",\"kernelMs\":1,\"endToEndMs\":1,\"kernelTflops\":1,\"endToEndTflops\":1}]}", "t.json"));
        Assert.Contains("t.json", e.Message);
        Assert.Contains("$.modes[0].p", e.Message); // the row and the column
    }

    [Fact]
    public void TheRecordedTableNamesEachModeOnce()
    {
        // Whether or not it has been re-measured with log-linear or strided key-mean rows: one row per (QK, granularity,
        // PV, P, key mean), the columns Find matches, so that Find cannot hide a second measurement of the same mode.
        var modes = ModeSpeedTable.Recorded.Modes;
        Assert.Equal(modes.Count, modes.Select(m => (m.Qk, m.Granularity, m.Pv, m.PEncoding, m.KeyMean)).Distinct().Count());
        Assert.All(modes, m => Assert.True(Enum.IsDefined(m.PEncoding)));
    }
}
