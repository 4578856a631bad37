using FsCheck.Xunit;
using Sage.Reference;
using Xunit;

namespace Sage.Property.Tests.Reference;

/// <summary>
/// The reference's tiled, packed, vectorised float64 kernels against <see cref="CompensatedAttention"/> (plain loops,
/// compensated sums): outputs within 1e-12 of the value scale, log-sum-exp within 1e-12 relative, on shapes that
/// cross every blocking boundary (4-row blocks, 32-row tiles, 32-key panels, 8- and 32-channel blocks).
/// </summary>
public class ReferenceAttentionAccuracyTests
{
    private const double Tolerance = 1e-12;

    public static TheoryData<int, int, int, int, int, int, bool, TensorLayout> Shapes => new()
    {
        // batch, query heads, KV heads, Nq, Nk, d, causal, layout
        { 1, 1, 1, 70, 100, 128, false, TensorLayout.HND },
        { 1, 1, 1, 70, 100, 128, true, TensorLayout.HND },
        { 2, 4, 2, 37, 33, 64, true, TensorLayout.NHD },   // GQA, Nq > Nk: causal rows 0..3 see no key
        { 1, 6, 2, 33, 65, 40, true, TensorLayout.HND },   // d = 40: one 32-channel block and an 8-channel rest
        { 1, 2, 1, 5, 31, 24, false, TensorLayout.NHD },   // d below one channel block, Nk below one panel
        { 1, 3, 3, 41, 20, 80, true, TensorLayout.HND },   // Nq > Nk causal: rows 0..20 see no key
        { 1, 2, 2, 9, 0, 16, false, TensorLayout.HND },    // Nk = 0
        { 1, 2, 1, 0, 12, 16, false, TensorLayout.NHD },   // Nq = 0
        { 1, 1, 1, 1, 129, 1, false, TensorLayout.HND },   // d = 1
        { 1, 2, 1, 96, 96, 96, true, TensorLayout.NHD },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesTheCompensatedComputation(int batch, int heads, int kvHeads, int nq, int nk, int d, bool causal, TensorLayout layout)
    {
        foreach (var family in new[] { DataFamily.Gaussian, DataFamily.HeavyTail, DataFamily.VChannelBias })
        {
            var c = AttentionCase.Sized(new AttentionShape(batch, heads, kvHeads, nq, nk, d), layout, causal, family, ElementType.Float16,
                seed: nq * 31 + nk + (int)family);
            AssertClose(c);
        }
    }

    [Property(MaxTest = 25)]
    public void MatchesTheCompensatedComputationOnRandomShapes(int seed, byte nqSeed, byte nkSeed, byte dSeed, bool causal, bool nhd, bool gqa)
    {
        int nq = nqSeed % 80, nk = nkSeed % 90, d = 1 + dSeed % 136;
        var shape = new AttentionShape(1, gqa ? 4 : 2, gqa ? 2 : 2, nq, nk, d);
        var family = (DataFamily)((uint)seed % 5);
        var type = (ElementType)((uint)seed / 5 % 3);
        var c = AttentionCase.Sized(shape, nhd ? TensorLayout.NHD : TensorLayout.HND, causal, family, type, seed,
            scale: seed % 3 == 0 ? 0.3 : null);
        AssertClose(c);
    }

    /// <summary>The rows the kernels block together must not leak into each other: a NaN value no row of a
    /// 4-row block sees except the last, and channels beyond it, stay clean.</summary>
    [Fact]
    public void AnInvisibleNaNValueInsideABlockTouchesOnlyTheRowsThatSeeIt()
    {
        const int n = 64, d = 64, key = 42;
        var c = AttentionCase.Sized(new AttentionShape(1, 1, 1, n, n, d), TensorLayout.HND, causal: true, DataFamily.Gaussian, ElementType.Float32, 5);
        c.V[key * d + 3] = float.NaN;
        var result = c.Compute();
        for (int row = 0; row < n; row++)
            for (int ch = 0; ch < d; ch++)
                Assert.Equal(row >= key && ch == 3, double.IsNaN(result.Output[row * d + ch]));
    }

    private static void AssertClose(AttentionCase c)
    {
        var result = c.Compute();
        var (output, lse) = CompensatedAttention.Compute(c);
        double scale = 1 + c.ValueMagnitude;
        for (int i = 0; i < output.Length; i++)
            if (Math.Abs(output[i] - result.Output[i]) > Tolerance * scale)
                Assert.Fail($"{c}: output[{i}] = {result.Output[i]:R}, compensated {output[i]:R} (tolerance {Tolerance * scale:G3}).");
        for (int i = 0; i < lse.Length; i++)
        {
            if (double.IsNegativeInfinity(lse[i]))
            {
                Assert.Equal(double.NegativeInfinity, result.Lse[i]);
                continue;
            }
            Assert.True(Math.Abs(lse[i] - result.Lse[i]) <= Tolerance * (1 + Math.Abs(lse[i])),
                $"{c}: lse[{i}] = {result.Lse[i]:R}, compensated {lse[i]:R}.");
        }
    }
}
