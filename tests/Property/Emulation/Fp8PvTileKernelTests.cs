using FsCheck.Xunit;
using Sage.Emulation;
using Sage.Emulation.Mainloop;
using Sage.Emulation.TensorCores;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// The register-blocked PV tile kernel equals the measured wgmma.e4m3 models (<see cref="Fp8FusedDotModel.DotBytes"/>)
/// bit for bit, on raw codes and incoming accumulators chosen to reach every branch: subnormal E4M3 codes, zero rows
/// and zero channels, P and V at their maxima (FP16 sums that overflow to ±inf), fp32-subnormal, huge, infinite and
/// NaN C, and (rarely, as attention never produces them) negative and NaN P codes.
/// </summary>
public class Fp8PvTileKernelTests
{
    [Fact]
    public void DecodeEqualsTheCodeTables()
    {
        var codes = new byte[256];
        for (int i = 0; i < 256; i++) codes[i] = (byte)i;
        var values = new float[256];
        var exponents = new sbyte[256];
        Fp8PvTileKernel.Decode(codes, values, exponents);
        for (int i = 0; i < 256; i++)
        {
            float expected = Fp8PvFastPath.Values[i];
            Assert.True(BitConverter.SingleToUInt32Bits(expected) == BitConverter.SingleToUInt32Bits(values[i]) || (float.IsNaN(expected) && float.IsNaN(values[i])),
                $"code 0x{i:X2}: table {expected:R}, decoded {values[i]:R}");
            Assert.Equal(Fp8PvTileKernel.ExponentBytes[i], exponents[i]);
            if ((i & 0x7F) != 0x7F && (i & 0x7F) != 0)
                Assert.Equal(Fp8PvFastPath.Exponents[i], (int)exponents[i]); // the byte table agrees with the row path's
        }
    }

    [Property(MaxTest = 300)]
    public void EqualsTheModel(int seed)
    {
        var rnd = new Random(seed);
        bool fp16 = rnd.Next(2) == 0;
        var model = TensorCoreVariants.GetFp8(fp16 ? PvModelSet.Fp16VariantName : PvModelSet.Fp32VariantName);
        var kernel = Fp8PvTileKernel.TryCreate(model);
        if (kernel is null) return; // no AVX-512 here: the emulator uses the row path, which Fp8PvFastPathTests cover
        int d = rnd.Next(2) == 0 ? 64 : 128;
        int rows = rnd.Next(10) == 0 ? 132 : 4 * rnd.Next(1, 4); // 132: more than one 128-row chunk
        int stride = d + 16 * rnd.Next(2);
        var p = new byte[rows * 128];
        var v = new byte[128 * d];
        int pStyle = rnd.Next(6), vStyle = rnd.Next(5);
        for (int i = 0; i < p.Length; i++) p[i] = Fp8PvTileKernelTestCodes.PCode(rnd, pStyle);
        for (int i = 0; i < v.Length; i++) v[i] = Fp8PvTileKernelTestCodes.VCode(rnd, vStyle);
        if (rnd.Next(4) == 0) // a zero channel and a zero row
        {
            int c0 = rnd.Next(d);
            for (int t = 0; t < 128; t++) v[t * d + c0] = 0;
            Array.Clear(p, rnd.Next(rows) * 128, 128);
        }
        // C: the kernel sends a whole 4-row × 32-channel block to the model when one lane is outside its envelope, so
        // most cases keep C inside (zero, or finite values of any sign and a wide range of magnitudes) and exercise the
        // fast path; the others mix in subnormal, huge, infinite and NaN C everywhere or in a few lanes.
        int cStyle = rnd.Next(5);
        var acc = new float[rows * stride];
        for (int i = 0; i < acc.Length; i++)
            acc[i] = cStyle switch
            {
                0 => 0f,
                1 or 2 => Fp8PvTileKernelTestCodes.InsideAccumulator(rnd, fp16),
                3 => rnd.Next(400) == 0 ? Fp8PvTileKernelTestCodes.Accumulator(rnd, fp16) : Fp8PvTileKernelTestCodes.InsideAccumulator(rnd, fp16),
                _ => Fp8PvTileKernelTestCodes.Accumulator(rnd, fp16),
            };
        int from = rnd.Next(4) * 32, count = 32 * rnd.Next(1, (128 - from) / 32 + 1);

        var expected = (float[])acc.Clone();
        // A fresh accumulator (the two-level modes): C = +0 whatever acc holds, which is then only written.
        bool fromZero = cStyle == 0 && rnd.Next(2) == 0;
        var column = new byte[count];
        for (int r = 0; r < rows; r++)
        for (int c = 0; c < d; c++)
        {
            for (int t = 0; t < count; t++) column[t] = v[(from + t) * d + c];
            expected[r * stride + c] = model.DotBytes(p.AsSpan(r * 128 + from, count), column, acc[r * stride + c]);
        }
        if (fromZero) Array.Fill(acc, float.NaN);
        kernel.Chain(p, rows, v, d, from, count, acc, stride, fromZero);
        for (int r = 0; r < rows; r++)
        for (int c = 0; c < d; c++)
        {
            float e = expected[r * stride + c], a = acc[r * stride + c];
            Assert.True(BitConverter.SingleToUInt32Bits(e) == BitConverter.SingleToUInt32Bits(a) || (float.IsNaN(e) && float.IsNaN(a)),
                $"seed {seed} ({(fp16 ? "fp16" : "fp32")}, P style {pStyle}, V style {vStyle}, C style {cStyle}, from zero {fromZero}) row {r} channel {c}: model {e:R}, kernel {a:R}");
        }
    }
}
