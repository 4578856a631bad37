using Sage.Emulation.TensorCores;
using Xunit;

namespace Sage.Property.Tests.TensorCores;

/// <summary>
/// The native FP8 models have an AVX2 path and a scalar path; the other tests exercise whichever the CPU takes
/// (AVX2 on x86-64), these pin the scalar one against the same hardware record.
/// </summary>
public sealed class ScalarPathTests
{
    public static TheoryData<string> FusedVariants =>
        new(ProbeVariants.All.Where(v => v.Name.StartsWith("wgmma.e", StringComparison.Ordinal)).Select(v => v.Name));

    [Theory]
    [MemberData(nameof(FusedVariants))]
    public void Scalar_path_reproduces_the_recorded_outputs_and_digest(string variantName)
    {
        var variant = ProbeVariants.Get(variantName);
        var scalar = TensorCoreVariants.GetFp8(variant.ModelName).WithoutVectorPath();
        Assert.False(scalar.UsesVectorPath);
        foreach (var r in TensorCoreTestData.Records.Where(r => r.VariantIndex == variant.Index))
            Assert.True(variant.Evaluate(scalar, r.A, r.B, r.C) == r.D, $"{variantName} {r.Kind} c=0x{r.C:X8}: hardware 0x{r.D:X8}");
        Assert.Equal(TensorCoreTestData.Digests[variantName].First65536, TensorCoreTestData.ModelDigest(variant, scalar, 65536));
    }
}
