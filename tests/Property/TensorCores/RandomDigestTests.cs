using Sage.Emulation.TensorCores;
using Xunit;

namespace Sage.Property.Tests.TensorCores;

/// <summary>
/// The models against the H100's outputs for the random cases, compared through SHA-256 digests of the output
/// words (the inputs come from <see cref="ProbeCaseGenerator"/>, so the record needs only 32 bytes a variant).
/// CI checks the first 65536 cases of each variant; the explicit test checks all 2^20 (2^18 for chains).
/// </summary>
public sealed class RandomDigestTests(ITestOutputHelper output)
{
    public static TheoryData<string> Variants => new(ProbeVariants.All.Select(v => v.Name));

    [Theory]
    [MemberData(nameof(Variants))]
    public void Model_outputs_for_the_first_65536_random_cases_hash_to_the_hardware_digest(string variantName)
    {
        var variant = ProbeVariants.Get(variantName);
        string digest = TensorCoreTestData.ModelDigest(variant, 65536);
        Assert.Equal(TensorCoreTestData.Digests[variantName].First65536, digest);
    }

    [Theory(Explicit = true)]
    [MemberData(nameof(Variants))]
    public void Model_outputs_for_all_recorded_random_cases_hash_to_the_hardware_digest(string variantName)
    {
        var variant = ProbeVariants.Get(variantName);
        var (cases, _, all) = TensorCoreTestData.Digests[variantName];
        string digest = TensorCoreTestData.ModelDigest(variant, cases);
        output.WriteLine($"{variantName}: {cases} cases, digest {digest}");
        Assert.Equal(all, digest);
    }
}
