using Sage.Emulation.TensorCores;
using Xunit;

namespace Sage.Property.Tests.TensorCores;

/// <summary>
/// The models against the committed H100 record (2026-11-25): every targeted probe and the first 512 random cases
/// of each variant, bit for bit; and the case generator against the inputs the device generated.
/// </summary>
public sealed class RecordedProbeTests
{
    public static TheoryData<string> RecordedVariants => new(ProbeVariants.All.Select(v => v.Name));

    [Theory]
    [MemberData(nameof(RecordedVariants))]
    public void Model_reproduces_every_recorded_hardware_output(string variantName)
    {
        var variant = ProbeVariants.Get(variantName);
        var model = TensorCoreVariants.Get(variant.ModelName);
        var records = TensorCoreTestData.Records.Where(r => r.VariantIndex == variant.Index).ToList();
        Assert.True(records.Count >= 512, $"{variantName}: only {records.Count} records");
        var failures = new List<string>();
        foreach (var r in records)
        {
            uint got = variant.Evaluate(model, r.A, r.B, r.C);
            if (got != r.D && failures.Count < 10)
                failures.Add($"{r.Kind} c=0x{r.C:X8} a=[{Convert.ToHexString(r.A)}] b=[{Convert.ToHexString(r.B)}]: hardware 0x{r.D:X8}, model 0x{got:X8}");
        }
        Assert.True(failures.Count == 0, $"{variantName}: {failures.Count} mismatches of {records.Count}:\n{string.Join('\n', failures)}");
    }

    [Theory]
    [MemberData(nameof(RecordedVariants))]
    public void Generator_twin_reproduces_the_device_inputs(string variantName)
    {
        var variant = ProbeVariants.Get(variantName);
        var heads = TensorCoreTestData.Records.Where(r => r.VariantIndex == variant.Index && r.Kind == ProbeRecordKind.RandomHead).ToList();
        Assert.Equal(512, heads.Count);
        var a = new byte[variant.K];
        var b = new byte[variant.K];
        for (int i = 0; i < heads.Count; i++)
        {
            uint c = variant.Generate((ulong)i, a, b);
            Assert.True(a.AsSpan().SequenceEqual(heads[i].A), $"{variantName} case {i}: A differs");
            Assert.True(b.AsSpan().SequenceEqual(heads[i].B), $"{variantName} case {i}: B differs");
            Assert.Equal(heads[i].C, c);
        }
    }

    [Fact]
    public void Record_holds_targeted_probes_for_every_single_instruction_fp8_variant()
    {
        var counts = TensorCoreTestData.Records.Where(r => r.Kind == ProbeRecordKind.Targeted)
            .GroupBy(r => r.Variant.Name).ToDictionary(g => g.Key, g => g.Count());
        foreach (var v in ProbeVariants.All.Where(v => v.K == 32 && v.Input != MmaInputFormat.Int8))
            Assert.True(counts.GetValueOrDefault(v.Name) > 3000, $"{v.Name}: {counts.GetValueOrDefault(v.Name)} targeted probes");
    }
}
