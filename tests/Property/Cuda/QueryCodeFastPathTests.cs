using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Sage.Cuda;
using Sage.Reference;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// The division-free INT8/INT4 codes (int8_code_fast in Kernels/Preprocess/quantize_codes.cuh: the main loop's Q prologue and the
/// pre-processing's Q and K codes), mirrored in C#
/// (float arithmetic here is IEEE binary32 with round-to-nearest-even, as the kernel's _rn intrinsics): whenever the
/// fast form accepts an element it must give cvt.rni.sat.s8(x ⊘ scale) with scale = amax ⊘ 127 and |x| ≤ amax, the
/// claim its comment proves; and the elements it refuses must be rare on ordinary data (else the prologue would run
/// the division anyway). The GPU tests (QueryQuantizationPlacementTests) compare the kernel itself.
/// </summary>
public class QueryCodeFastPathTests
{
    private const float Shifter = 12582912f; // 1.5 · 2^23

    /// <summary>cvt.rni.sat.s8.f32(div.rn(x, scale)): NaN → 0.</summary>
    private static int Reference(float x, float scale)
    {
        float quotient = x / scale;
        if (float.IsNaN(quotient)) return 0;
        float rounded = MathF.Round(quotient, MidpointRounding.ToEven);
        return (int)Math.Clamp(rounded, -128f, 127f);
    }

    /// <summary>
    /// The kernel's fast form: fma(x, lo, SHIFTER) and fma(x, hi, SHIFTER) over quotient_bracket(scale); the code byte of
    /// the first (as a signed value) where both agree, else null (refused; a NaN never compares equal).
    /// </summary>
    private static int? Fast(float x, float scale)
    {
        var (lo, hi) = QuotientBracketMirror.Of(scale);
        float low = MathF.FusedMultiplyAdd(x, lo, Shifter), high = MathF.FusedMultiplyAdd(x, hi, Shifter);
        if (!(low == high)) return null;
        return (sbyte)(byte)(BitConverter.SingleToUInt32Bits(low) & 0xFF);
    }

    private static void Check(float x, float amax)
    {
        float scale = amax / 127f;
        if (scale == 0f) return; // the kernel writes code 0 without either form
        int? fast = Fast(x, scale);
        if (fast is int code) Assert.True(code == Reference(x, scale), $"x = {x:R} amax = {amax:R}: fast {code}, div.rn {Reference(x, scale)}");
    }

    [Property(MaxTest = 20000)]
    public void Accepted_fast_codes_equal_the_division(NormalFloat amaxSeed, NormalFloat fraction, int exponent)
    {
        float amax = MathF.Abs((float)amaxSeed.Get) * MathF.Pow(2, exponent % 60) + float.Epsilon;
        if (!float.IsFinite(amax)) return;
        float x = (float)(Math.Clamp(fraction.Get, -1.0, 1.0) * amax);
        Check(x, amax);
        Check(amax, amax);
        Check(-amax, amax);
    }

    /// <summary>INT4 (K and Q codes with QkFormat.Int4): scale = amax ⊘ 7, code = clamp(rni(x ⊘ scale), ±7), NaN → 0.</summary>
    [Property(MaxTest = 20000)]
    public void Accepted_fast_int4_codes_equal_the_division(NormalFloat amaxSeed, NormalFloat fraction, int exponent, int step)
    {
        float amax = MathF.Abs((float)amaxSeed.Get) * MathF.Pow(2, exponent % 60) + float.Epsilon;
        if (!float.IsFinite(amax)) return;
        float scale = amax / 7f;
        if (scale == 0f) return;
        // Random quotients, and quotients next to the midpoints k + ½ where the rounding turns.
        float near = (Math.Abs(step % 7) + 0.5f) * scale * (step < 0 ? -1 : 1);
        foreach (float x in new[] { (float)(Math.Clamp(fraction.Get, -1.0, 1.0) * amax), amax, -amax, near, MathF.BitIncrement(near), MathF.BitDecrement(near) })
        {
            if (MathF.Abs(x) > amax) continue;
            if (Fast(x, scale) is not int code) continue;
            float quotient = x / scale;
            int expected = float.IsNaN(quotient) ? 0 : (int)Math.Clamp(MathF.Round(quotient, MidpointRounding.ToEven), -7f, 7f);
            Assert.True(code == expected, $"x = {x:R} amax = {amax:R}: fast {code}, div.rn {expected}");
        }
    }

    [Fact]
    public void Quotients_on_and_next_to_midpoints_are_refused_or_exact()
    {
        int refused = 0, total = 0;
        // Subnormal scales too (amax/127 below 2^-126): 1 ⊘ scale is a normal number ≥ 2^-125 down to about 2^-128,
        // below that the bracket is [0, +∞] and every element is refused.
        foreach (float amax in new[] { 127f, 254f, 1f, 3.3f, 1e-30f, 6e4f, 1e30f, 127f * MathF.ScaleB(1f, -127),
                     127f * MathF.ScaleB(1.37f, -128), 127f * MathF.ScaleB(1f, -135), 127f * MathF.ScaleB(1.4f, -149) })
            for (int k = -128; k <= 127; k++)
                foreach (float offset in new[] { -1e-3f, 0f, 1e-3f })
                {
                    float scale = amax / 127f;
                    float x = (k + 0.5f + offset) * scale;
                    foreach (float v in new[] { x, MathF.BitIncrement(x), MathF.BitDecrement(x) })
                    {
                        if (MathF.Abs(v) > amax) continue;
                        total++;
                        if (Fast(v, scale) is null) refused++;
                        Check(v, amax);
                    }
                }
        Assert.True(refused > 0, "exact midpoints must take the division");
        Assert.True(total > 1000);
    }

    [Fact]
    public void Ordinary_data_rarely_needs_the_division()
    {
        var random = new Random(11);
        int refused = 0;
        const int n = 200_000;
        for (int i = 0; i < n; i++)
        {
            float amax = (float)(0.5 + 8 * random.NextDouble());
            float x = (float)((2 * random.NextDouble() - 1) * amax);
            if (Fast(x, amax / 127f) is null) refused++;
        }
        Assert.True(refused < n / 1000, $"{refused} of {n} refused");
    }

    /// <summary>
    /// Why the Q prologue's fallback is per 8-element chunk (attention_query_quantize.cuh, session 37): rare per element, a
    /// refusal is common per CTA (a d = 128 CTA codes 8,192 elements), and with a lane-wide fallback the whole block waited
    /// for one lane's 64 divisions in most CTAs; per chunk, only one chunk in hundreds is redone. On these rows 43.5 % of
    /// blocks hold a refusal under the fma bracket (session 38; 61.3 % under the shifter form of sessions 11-37).
    /// </summary>
    [Fact]
    public void Refusals_are_rare_per_chunk_but_common_per_block()
    {
        const int blocks = 400, lanes = 128, chunksPerLane = 8, chunk = 8;
        // Gaussian rows; a lane's PerThread group (its two rows, 64 elements) sets its scale.
        var values = SyntheticData.Generate(DataFamily.Gaussian, [blocks, lanes, chunksPerLane * chunk], ElementType.Float32, seed: 37).Single;
        int blocksWithRefusal = 0, chunksRefused = 0;
        for (int b = 0; b < blocks; b++)
        {
            bool any = false;
            for (int lane = 0; lane < lanes; lane++)
            {
                var x = values.Slice((b * lanes + lane) * chunksPerLane * chunk, chunksPerLane * chunk);
                float amax = 0f;
                foreach (float v in x) amax = MathF.Max(amax, MathF.Abs(v));
                float scale = amax / 127f;
                for (int c = 0; c < chunksPerLane; c++)
                {
                    bool refused = false;
                    for (int e = 0; e < chunk; e++) refused |= Fast(x[c * chunk + e], scale) is null;
                    if (refused) { chunksRefused++; any = true; }
                }
            }
            if (any) blocksWithRefusal++;
        }
        double chunkShare = (double)chunksRefused / (blocks * lanes * chunksPerLane), blockShare = (double)blocksWithRefusal / blocks;
        Assert.True(blockShare > 0.4, $"{blockShare:P1} of blocks hold a refused code: the per-chunk fallback's reason is gone");
        Assert.True(chunkShare < 0.005, $"{chunkShare:P3} of chunks refused: the fast codes no longer cover ordinary data");
    }

    [Theory]
    [InlineData(null, "Auto")]
    [InlineData("", "Auto")]
    [InlineData("auto", "Auto")]
    [InlineData("main-loop", "MainLoop")]
    [InlineData("preprocess", "Preprocess")]
    public void Query_quantization_switch(string? value, string expected) =>
        Assert.Equal(expected, CudaAttention.QueryQuantizationSelected(value).ToString());

    [Theory]
    [InlineData(64, 1, false, false)]
    [InlineData(64, 2048, false, false)]
    [InlineData(64, 2049, false, true)]
    [InlineData(64, 32768, false, true)]
    [InlineData(128, 2048, false, false)]
    [InlineData(128, 2049, false, true)]
    [InlineData(128, 8192, false, true)]
    [InlineData(128, 2048, true, false)]
    [InlineData(128, 32768, true, false)]
    public void Default_query_placement_is_the_main_loop_above_2K_keys_outside_the_shared_CTA(int headDim, int keys, bool sharedCta,
        bool mainLoop)
    {
        // The query length does not enter: with few keys per CTA the prologue's quantisation outweighs the Q pass it saves.
        foreach (int queries in new[] { 1, 2048, 32768 })
            Assert.Equal(mainLoop, CudaAttention.MainLoopQueriesByDefault(new AttentionShape(1, 1, 1, queries, keys, headDim), sharedCta));
    }

    [Fact]
    public void Unknown_query_quantization_names_the_variable()
    {
        var e = Assert.Throws<ArgumentException>(() => CudaAttention.QueryQuantizationSelected("kernel"));
        Assert.Contains(CudaAttention.QueryQuantizationEnvironmentVariable, e.Message);
        Assert.Contains("kernel", e.Message);
    }
}
