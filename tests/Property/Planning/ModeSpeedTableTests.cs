using Sage.Emulation.Planning;
using Xunit;

namespace Sage.Property.Tests.Planning;

/// <summary>The P encoding column of a speed table: written as "p", absent in tables measured before it (read as Exp2).</summary>
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
        // Whether or not it has been re-measured with log-linear rows: one row per (QK, granularity, PV, P), so that Find
        // cannot hide a second measurement of the same mode.
        var modes = ModeSpeedTable.Recorded.Modes;
        Assert.Equal(modes.Count, modes.Select(m => (m.Qk, m.Granularity, m.Pv, m.PEncoding)).Distinct().Count());
        Assert.All(modes, m => Assert.True(Enum.IsDefined(m.PEncoding)));
    }
}
