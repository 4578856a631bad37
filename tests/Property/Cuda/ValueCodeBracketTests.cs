using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Sage.Numerics;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// The pre-processing's division-free E4M3 V codes (quotient_bracket and the bracket of value_tile, in
/// Kernels/Preprocess/quantize_codes.cuh), mirrored in C# (binary32 arithmetic with round-to-nearest-even, as the
/// kernel's _rn intrinsics): wherever the codes of x ⊗ lo and x ⊗ hi agree, that code must be
/// cvt.rn.satfinite.e4m3(x ⊘ v_scale), with v_scale = amax ⊘ V_MAX and |x| ≤ amax, for both V_MAX of the spec (448, and
/// 1.125 under FP16 accumulation, where most codes are E4M3 subnormals); v_scale = 0 gives +0 for every x. And the
/// bracket must disagree rarely on ordinary data, else the kernel would run the division anyway. The GPU tests
/// (PreprocessingBitExactTests, the rounding-boundary cases of PreprocessCase) compare the kernel itself.
/// </summary>
public class ValueCodeBracketTests
{
    /// <summary>The kernel's word for one element: the agreed code (masked for v_scale = 0), or null where the division decides.</summary>
    private static byte? Fast(float x, float scale)
    {
        var (lo, hi) = QuotientBracketMirror.Of(scale);
        byte low = Ptx.CvtRnSatfiniteE4M3(x * lo), high = Ptx.CvtRnSatfiniteE4M3(x * hi);
        if (low != high) return null;
        return scale == 0f ? (byte)0 : low;
    }

    private static byte Reference(float x, float scale) => scale == 0f ? (byte)0 : Ptx.CvtRnSatfiniteE4M3(x / scale);

    private static void Check(float x, float scale)
    {
        if (Fast(x, scale) is byte code)
            Assert.True(code == Reference(x, scale), $"x = {x:R} v_scale = {scale:R}: bracket 0x{code:X2}, div.rn 0x{Reference(x, scale):X2}");
    }

    /// <summary>The E4M3 values' midpoints (normal and subnormal), the turning points of the rounding, times a power of two.</summary>
    private static IEnumerable<float> Midpoints()
    {
        for (int e = -9; e <= 8; e++)
            for (int m = 0; m < 8; m++)
                yield return e == -9 ? (m + 0.5f) * MathF.ScaleB(1f, -9) : (1 + (m + 0.5f) / 8) * MathF.ScaleB(1f, e);
    }

    [Property(MaxTest = 20000)]
    public void Agreed_codes_equal_the_division(NormalFloat amaxSeed, NormalFloat fraction, int exponent, bool fp16Accumulation)
    {
        float vMax = fp16Accumulation ? 1.125f : 448f;
        float amax = MathF.Abs((float)amaxSeed.Get) * MathF.Pow(2, exponent % 70) + float.Epsilon;
        if (!float.IsFinite(amax)) return;
        float scale = amax / vMax;
        float x = (float)(Math.Clamp(fraction.Get, -1.0, 1.0) * amax);
        foreach (float v in new[] { x, amax, -amax, x * 1e-3f, x * 1e-6f })
            Check(v, scale);
    }

    [Fact]
    public void Quotients_on_and_next_to_midpoints_are_refused_or_exact()
    {
        int refused = 0, total = 0;
        foreach (float vMax in new[] { 448f, 1.125f })
            foreach (float amax in new[] { 448f, 1f, 3.3f, 1e-30f, 6e4f, 1e30f, 3e38f, 1e-38f, MathF.ScaleB(1.3f, -140), float.Epsilon })
            {
                float scale = amax / vMax;
                foreach (float mid in Midpoints())
                {
                    float x = mid * scale;
                    foreach (float v in new[] { x, MathF.BitIncrement(x), MathF.BitDecrement(x), -x, x * (1 + 1e-6f) })
                    {
                        if (!(MathF.Abs(v) <= amax)) continue;
                        total++;
                        if (Fast(v, scale) is null) refused++;
                        Check(v, scale);
                    }
                }
            }
        Assert.True(refused > 0, "quotients on a midpoint must take the division");
        Assert.True(total > 2000, $"{total} checks");
    }

    [Fact]
    public void Special_values_and_scales()
    {
        foreach (float scale in new[] { 0f, 1f, 0.37f, float.Epsilon, MathF.ScaleB(1f, -127), MathF.ScaleB(1f, -125), 1e38f, 3e38f })
            foreach (float x in new[] { 0f, -0f, 1f, -1f, float.NaN, -float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, -float.Epsilon, 1e-30f })
                Check(x, scale);
        // v_scale = 0: +0 whatever x is, NaN included (the division's +0 ratio).
        foreach (float x in new[] { float.NaN, -3f, float.NegativeInfinity })
            Assert.Equal((byte)0, Fast(x, 0f) ?? Reference(x, 0f));
        // A reciprocal that overflows (v_scale below 2^-128) refuses every non-NaN x instead of coding ±∞ as ±448.
        Assert.Null(Fast(1e-39f, MathF.ScaleB(1f, -130)));
    }

    [Fact]
    public void Ordinary_data_rarely_needs_the_division()
    {
        var random = new Random(17);
        int refused = 0;
        const int n = 400_000;
        for (int i = 0; i < n; i++)
        {
            float amax = (float)(0.5 + 8 * random.NextDouble());
            float x = (float)((2 * random.NextDouble() - 1) * amax);
            if (Fast(x, amax / (i % 2 == 0 ? 448f : 1.125f)) is null) refused++;
        }
        Assert.True(refused < n / 10_000, $"{refused} of {n} refused");
    }
}
