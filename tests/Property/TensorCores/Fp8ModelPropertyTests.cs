using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Sage.Emulation.TensorCores;
using Xunit;

namespace Sage.Property.Tests.TensorCores;

/// <summary>Properties the measured FP8 models must have, whatever the inputs.</summary>
public sealed class Fp8ModelPropertyTests
{
    private static readonly string[] FusedNames = ["wgmma.e4m3.f32", "wgmma.e4m3.f16", "wgmma.e5m2.f32", "wgmma.e5m2.f16"];
    private static readonly string[] AllFp8Names =
        [.. FusedNames, "mma.m16n8k32.e4m3.f32", "mma.m16n8k32.e4m3.f16", "mma.m16n8k32.e5m2.f32", "mma.m16n8k32.e5m2.f16", "ada.mma.e4m3.f32 (literature)"];

    // 32 finite FP8 bytes of either format (NaN/inf patterns replaced by a zero).
    private static byte[] Finite(MmaInputFormat f, byte[] raw)
    {
        var r = new byte[32];
        for (int i = 0; i < 32; i++)
        {
            byte x = raw[i % raw.Length];
            bool special = f == MmaInputFormat.E4M3 ? (x & 0x7F) == 0x7F : ((x >> 2) & 0x1F) == 31;
            r[i] = special ? (byte)0 : x;
        }
        return r;
    }

    private static Arbitrary<byte[]> Bytes32 => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 32).ToArbitrary();

    [Property(MaxTest = 300)]
    public FsCheck.Property Wgmma_fp32_result_keeps_at_most_14_significant_bits()
    {
        var m = TensorCoreVariants.GetFp8("wgmma.e4m3.f32");
        return Prop.ForAll(Bytes32, Bytes32, ArbMap.Default.ArbFor<float>(), (ra, rb, c) =>
        {
            if (!float.IsFinite(c)) return true;
            float d = m.DotBytes(Finite(m.Input, ra), Finite(m.Input, rb), c);
            uint bits = BitConverter.SingleToUInt32Bits(d);
            bool normal = ((bits >> 23) & 0xFF) != 0;
            return !normal || (bits & 0x3FF) == 0; // the 10 lowest of 23 fraction bits are cut
        });
    }

    [Property(MaxTest = 200)]
    public FsCheck.Property Fused_sum_is_independent_of_the_order_of_the_products()
    {
        return Prop.ForAll(Bytes32, Bytes32, ArbMap.Default.ArbFor<int>(), (ra, rb, seed) =>
        {
            foreach (string name in FusedNames)
            {
                var m = TensorCoreVariants.GetFp8(name);
                byte[] a = Finite(m.Input, ra), b = Finite(m.Input, rb);
                var perm = Enumerable.Range(0, 32).OrderBy(i => (i * 7919 + seed) & 0x7FFFFFFF).ToArray();
                byte[] pa = [.. perm.Select(i => a[i])], pb = [.. perm.Select(i => b[i])];
                float c = m.Accumulator == MmaAccumulator.Fp16 ? 0.75f : 1.5e-3f;
                if (BitConverter.SingleToUInt32Bits(m.DotBytes(a, b, c)) != BitConverter.SingleToUInt32Bits(m.DotBytes(pa, pb, c))) return false;
            }
            return true;
        });
    }

    [Property(MaxTest = 300)]
    public FsCheck.Property Small_integer_dot_products_are_exact_in_every_variant()
    {
        // E4M3 holds the integers −8..8 exactly; |Σ| ≤ 32·64 = 2048 fits every accumulator's kept bits.
        var ints = Gen.ArrayOf(Gen.Choose(-8, 8), 32).ToArbitrary();
        return Prop.ForAll(ints, ints, (ia, ib) =>
        {
            foreach (string name in AllFp8Names.Where(n => n.Contains("e4m3")))
            {
                var m = TensorCoreVariants.Get(name);
                float[] a = [.. ia.Select(x => (float)x)], b = [.. ib.Select(x => (float)x)];
                float expected = ia.Zip(ib, (x, y) => x * y).Sum();
                if (m.Dot(a, b, 0f) != expected) return false;
            }
            return true;
        });
    }

    [Property(MaxTest = 100)]
    public FsCheck.Property A_chain_is_successive_instructions_through_the_accumulator()
    {
        var bytes64 = Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 64).ToArbitrary();
        return Prop.ForAll(bytes64, bytes64, (ra, rb) =>
        {
            foreach (string name in AllFp8Names)
            {
                var m = TensorCoreVariants.GetFp8(name);
                byte[] a = [.. Finite(m.Input, ra[..32]), .. Finite(m.Input, ra[32..])];
                byte[] b = [.. Finite(m.Input, rb[..32]), .. Finite(m.Input, rb[32..])];
                float c = 0.5f;
                float chained = m.DotBytes(a, b, c);
                float stepwise = m.DotBytes(a.AsSpan(32), b.AsSpan(32), m.DotBytes(a.AsSpan(0, 32), b.AsSpan(0, 32), c));
                if (BitConverter.SingleToUInt32Bits(chained) != BitConverter.SingleToUInt32Bits(stepwise)) return false;
            }
            return true;
        });
    }

    [Fact]
    public void MultiplyAccumulate_matches_DotBytes_element_by_element()
    {
        var m = TensorCoreVariants.GetFp8("wgmma.e4m3.f32");
        var rnd = new Random(7);
        int rows = 5, cols = 3, k = 64;
        byte[] a = Finite(m.Input, [.. Enumerable.Range(0, rows * k).Select(_ => (byte)rnd.Next(256))]);
        a = [.. Enumerable.Range(0, rows * k).Select(_ => (byte)(rnd.Next(0x70) | (rnd.Next(2) << 7)))];
        byte[] bT = [.. Enumerable.Range(0, cols * k).Select(_ => (byte)(rnd.Next(0x70) | (rnd.Next(2) << 7)))];
        float[] cd = [.. Enumerable.Range(0, rows * cols).Select(i => i * 0.25f)];
        float[] before = [.. cd];
        m.MultiplyAccumulate(a, bT, cd, rows, cols, k);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                Assert.Equal(m.DotBytes(a.AsSpan(i * k, k), bT.AsSpan(j * k, k), before[i * cols + j]), cd[i * cols + j]);
    }

    [Fact]
    public void Dot_rejects_a_value_the_input_format_cannot_hold_and_names_the_argument()
    {
        var m = TensorCoreVariants.Get("wgmma.e4m3.f32");
        float[] a = new float[32], b = new float[32];
        a[3] = 1.0625f; // needs 4 fraction bits
        var e = Assert.Throws<ArgumentException>(() => m.Dot(a, b, 0f));
        Assert.Equal("a", e.ParamName);
        Assert.Contains("1.0625", e.Message);
        var f16 = TensorCoreVariants.Get("wgmma.e4m3.f16");
        var ec = Assert.Throws<ArgumentException>(() => f16.Dot(new float[32], new float[32], 1.0001f));
        Assert.Equal("c", ec.ParamName);
    }

    [Fact]
    public void Fp16_accumulator_overflows_to_infinity_at_65520_and_keeps_65504_below()
    {
        var m = TensorCoreVariants.Get("wgmma.e4m3.f16");
        float[] a = new float[32], b = new float[32];
        a[0] = 8; b[0] = 1; // 65504 + 8 = 65512 rounds back to 65504 (ties-to-even region)
        Assert.Equal(65504f, m.Dot(a, b, 65504f));
        a[0] = 16; // 65520 is the halfway point to 65536: even → 65536 → overflow
        Assert.Equal(float.PositiveInfinity, m.Dot(a, b, 65504f));
        a[0] = -16;
        Assert.Equal(float.NegativeInfinity, m.Dot(a, b, -65504f));
    }

    [Fact]
    public void Wgmma_fp32_accumulator_drops_the_low_bits_of_C()
    {
        // The FP22 effect: C = 1 + 2^-20 with no products comes back as 1 (13 fraction bits kept, truncated).
        var m = TensorCoreVariants.Get("wgmma.e4m3.f32");
        Assert.Equal(1f, m.Dot(new float[32], new float[32], 1f + MathF.ScaleB(1, -20)));
        Assert.Equal(1f + MathF.ScaleB(1, -13), m.Dot(new float[32], new float[32], 1f + MathF.ScaleB(1, -13)));
        // mma.sync goes through FADD: C survives whole.
        var mma = TensorCoreVariants.Get("mma.m16n8k32.e4m3.f32");
        Assert.Equal(1f + MathF.ScaleB(1, -20), mma.Dot(new float[32], new float[32], 1f + MathF.ScaleB(1, -20)));
    }

    // The main loop's PV models (FP32 and FP16 accumulation; docs/kernel-spec.md §8).
    private static readonly string[] PvNames = ["wgmma.e4m3.f32", "wgmma.e4m3.f16"];

    /// <summary>
    /// The premise of skipping a tile's last PV k-steps where every P code is zero (the main loop's upper causal block on
    /// its diagonal tile; docs/results/probes/session43-half-last-tile-untested.patch, measured bit-exact but slower in
    /// session 44 and not merged): such a k-step returns its C
    /// unchanged, bit for bit, when C is the output of an earlier k-step of the same chain, whatever the V codes (their
    /// zero products may be −0). An output of the model is already on its accumulator's grid (FP32: 13 fraction bits;
    /// FP16) and never −0 (an exactly zero sum gives +0), so nothing is left for the zero k-step to truncate, round or
    /// re-sign.
    /// </summary>
    [Property(MaxTest = 500)]
    public FsCheck.Property A_zero_k_step_after_a_k_step_returns_the_accumulator_unchanged()
    {
        return Prop.ForAll(Bytes32, Bytes32, Gen.Zip(Bytes32.Generator, ArbMap.Default.GeneratorFor<float>()).ToArbitrary(), (ra, rb, vc) =>
        {
            var (rv, c0) = vc;
            if (!float.IsFinite(c0)) return true;
            foreach (string name in PvNames)
            {
                var m = TensorCoreVariants.GetFp8(name);
                // C of the first k-step: any float for FP32 (acc_o ⊗ rescale), an FP16 value for the FP16 chain (+0 in
                // the kernel; any finite value here).
                float c = m.Accumulator == MmaAccumulator.Fp16 ? (float)(Half)Math.Clamp(c0, -60000f, 60000f) : c0;
                float first = m.DotBytes(Finite(m.Input, ra), Finite(m.Input, rb), c);
                if (!float.IsFinite(first)) continue; // an FP16 overflow ends the chain either way
                float after = m.DotBytes(new byte[32], Finite(m.Input, rv), first);
                if (BitConverter.SingleToUInt32Bits(after) != BitConverter.SingleToUInt32Bits(first)) return false;
            }
            return true;
        });
    }

    [Fact]
    public void A_zero_k_step_after_an_exactly_cancelling_k_step_keeps_plus_zero()
    {
        // k-step 1 sums to exactly zero from C = −0 (+0 by the model), then a k-step of zero P codes against negative V
        // codes (−0 products) must still give +0.
        foreach (string name in PvNames)
        {
            var m = TensorCoreVariants.Get(name);
            float[] a = new float[32], b = new float[32], v = new float[32];
            a[0] = 1; b[0] = 2; a[1] = 1; b[1] = -2;
            Array.Fill(v, -1.5f);
            float first = m.Dot(a, b, -0f);
            Assert.Equal(0u, BitConverter.SingleToUInt32Bits(first));
            Assert.Equal(0u, BitConverter.SingleToUInt32Bits(m.Dot(new float[32], v, first)));
        }
    }
}
