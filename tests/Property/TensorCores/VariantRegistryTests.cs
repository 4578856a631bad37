using FsCheck.Xunit;
using Sage.Emulation.TensorCores;
using Xunit;

namespace Sage.Property.Tests.TensorCores;

public sealed class VariantRegistryTests
{
    [Fact]
    public void Registry_lists_the_measured_variants_and_the_literature_ada_model()
    {
        string[] expected =
        [
            "wgmma.e4m3.f32", "wgmma.e4m3.f16", "wgmma.e5m2.f32", "wgmma.e5m2.f16",
            "mma.m16n8k32.e4m3.f32", "mma.m16n8k32.e4m3.f16", "mma.m16n8k32.e5m2.f32", "mma.m16n8k32.e5m2.f16",
            "wgmma.s8.s32", "mma.m16n8k32.s8.s32", "ada.mma.e4m3.f32 (literature)",
        ];
        Assert.Equal(expected, TensorCoreVariants.All.Select(m => m.Name));
        Assert.All(TensorCoreVariants.All, m => Assert.Equal(32, m.K));
        Assert.All(TensorCoreVariants.All.Where(m => !m.Name.StartsWith("ada", StringComparison.Ordinal)), m => Assert.True(m.VerifiedOnHardware, m.Name));
        Assert.False(TensorCoreVariants.Get("ada.mma.e4m3.f32 (literature)").VerifiedOnHardware);
        Assert.All(TensorCoreVariants.All, m => Assert.False(string.IsNullOrWhiteSpace(m.Provenance)));
    }

    [Fact]
    public void Unknown_name_lists_the_valid_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => TensorCoreVariants.Get("wgmma.e4m3.bf16"));
        Assert.Equal("name", e.ParamName);
        Assert.Contains("wgmma.e4m3.bf16", e.Message);
        Assert.Contains("wgmma.e4m3.f32", e.Message);
        Assert.Contains("mma.m16n8k32.s8.s32", e.Message);
    }

    [Property]
    public bool Int8_variants_wrap_modulo_2_to_the_32(sbyte[] raw, int c)
    {
        var a = new sbyte[32];
        var b = new sbyte[32];
        for (int i = 0; i < 32 && raw.Length > 0; i++) { a[i] = raw[i % raw.Length]; b[i] = raw[(i * 5 + 1) % raw.Length]; }
        long exact = c;
        for (int i = 0; i < 32; i++) exact += a[i] * b[i];
        int expected = unchecked((int)exact);
        return TensorCoreVariants.Get("wgmma.s8.s32").DotInt32(a, b, c) == expected
            && TensorCoreVariants.Get("mma.m16n8k32.s8.s32").DotInt32(a, b, c) == expected;
    }

    [Fact]
    public void Float_variants_refuse_the_integer_entry_point_and_vice_versa()
    {
        Assert.Throws<NotSupportedException>(() => TensorCoreVariants.Get("wgmma.e4m3.f32").DotInt32(new sbyte[32], new sbyte[32], 0));
        Assert.Throws<NotSupportedException>(() => TensorCoreVariants.Get("wgmma.s8.s32").Dot(new float[32], new float[32], 0));
    }
}
