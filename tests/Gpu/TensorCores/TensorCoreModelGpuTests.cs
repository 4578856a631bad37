using Sage.Emulation.TensorCores;
using Xunit;

namespace Sage.Gpu.Tests.TensorCores;

/// <summary>
/// Every modelled tensor-core variant against the H100 itself: the probe kernels, compiled by NVRTC through
/// Sage.Cuda, evaluate fresh random cases (a seed not used for the recorded run) and the recorded run's cases;
/// the C# model must give the same output word for every one.
/// </summary>
public sealed class TensorCoreModelGpuTests(ITestOutputHelper output)
{
    public static TheoryData<string> Variants => new(ProbeVariants.All.Select(v => v.Name));

    [Theory]
    [MemberData(nameof(Variants))]
    public void Model_matches_the_device_on_fresh_random_cases(string variantName)
    {
        using var context = TensorCoreGpu.HopperContextOrSkip();
        using var module = TensorCoreGpu.LoadProbe(context, "tc_probe.cu");
        var variant = ProbeVariants.Get(variantName);
        int n = variant.K == 32 ? 1 << 20 : 1 << 18;
        ulong seed = 0x5A6E_0000UL + (ulong)variant.Index;
        var (a, b, c) = TensorCoreGpu.Generate(variant, seed, n);
        uint[] d = TensorCoreGpu.Run(context, module, variant, a, b, c);
        Assert.DoesNotContain(0xEEEEEEEEu, d);
        var (count, examples) = TensorCoreGpu.Compare(variant, a, b, c, d);
        output.WriteLine($"{context.Device.Name} {context.Device.Architecture} driver {context.Device.DriverVersion}: {variantName} seed 0x{seed:X} {n} cases, {count} mismatches");
        Assert.True(count == 0, $"{variantName}: {count} of {n} cases differ:\n{string.Join('\n', examples)}");
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void Device_reproduces_the_recorded_run_and_the_model_matches_it(string variantName)
    {
        using var context = TensorCoreGpu.HopperContextOrSkip();
        using var module = TensorCoreGpu.LoadProbe(context, "tc_probe.cu");
        var variant = ProbeVariants.Get(variantName);
        int n = variant.K == 32 ? 1 << 20 : 1 << 18;
        var (a, b, c) = TensorCoreGpu.Generate(variant, variant.Seed, n);
        uint[] d = TensorCoreGpu.Run(context, module, variant, a, b, c);
        var (count, examples) = TensorCoreGpu.Compare(variant, a, b, c, d);
        string digest = TensorCoreGpu.Digest(variant, d);
        string? digests = TensorCoreGpu.RecordedData("h100-random-digests-2026-11-25.csv");
        string? recorded = digests is null ? null : File.ReadLines(digests).Select(l => l.Split(',')).FirstOrDefault(f => f[0] == variantName)?[3];
        output.WriteLine($"{variantName}: {n} recorded-seed cases, {count} model mismatches, digest {digest} (recorded {recorded ?? "not found"})");
        Assert.True(count == 0, $"{variantName}: {count} of {n} cases differ:\n{string.Join('\n', examples)}");
        if (recorded is not null) Assert.Equal(recorded, digest);
    }

    [Fact]
    public void Recorded_targeted_probes_give_the_recorded_outputs_again()
    {
        using var context = TensorCoreGpu.HopperContextOrSkip();
        using var module = TensorCoreGpu.LoadProbe(context, "tc_probe.cu");
        string? path = TensorCoreGpu.RecordedData("h100-probes-2026-11-25.bin.gz");
        if (path is null) Assert.Skip("recorded probes not found (run from the repository)");
        var records = ProbeRecord.ReadFile(path).Where(r => r.Kind == ProbeRecordKind.Targeted).GroupBy(r => r.VariantIndex);
        foreach (var group in records)
        {
            var variant = ProbeVariants.All[group.Key];
            var list = group.ToList();
            byte[] a = [.. list.SelectMany(r => r.A)], b = [.. list.SelectMany(r => r.B)];
            uint[] c = [.. list.Select(r => r.C)];
            uint[] d = TensorCoreGpu.Run(context, module, variant, a, b, c);
            int differ = Enumerable.Range(0, list.Count).Count(i => d[i] != list[i].D);
            var (modelMismatches, examples) = TensorCoreGpu.Compare(variant, a, b, c, d);
            output.WriteLine($"{variant.Name}: {list.Count} targeted probes, {differ} differ from the record, {modelMismatches} from the model");
            Assert.True(differ == 0 && modelMismatches == 0, $"{variant.Name}: {differ} differ from the record, {modelMismatches} from the model\n{string.Join('\n', examples)}");
        }
    }
}
