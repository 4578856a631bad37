using FsCheck.Xunit;
using Sage.Emulation;
using Sage.Emulation.Mainloop;
using Sage.Emulation.TensorCores;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// The rows-in-lanes PV kernel (one FMA per product, each channel's tokens in sign order) equals the measured
/// wgmma.e4m3 models (<see cref="Fp8FusedDotModel.DotBytes"/>) bit for bit: subnormal codes, zero rows and channels,
/// codes at their maxima (FP16 overflow), channels of one V sign only, C of every kind (inside the envelope mostly, and
/// subnormal, huge, infinite, NaN), and the rare negative or NaN P codes.
/// </summary>
public class Fp8PvRowLaneKernelTests
{
    [Fact]
    public void TransposeCodesTransposes()
    {
        var rnd = new Random(5);
        var codes = new byte[128 * 128];
        rnd.NextBytes(codes);
        var codesT = new byte[128 * 128];
        Fp8PvRowLaneKernel.TransposeCodes(codes, codesT);
        for (int r = 0; r < 128; r++)
        for (int t = 0; t < 128; t++)
            Assert.True(codes[r * 128 + t] == codesT[t * 128 + r], $"row {r} token {t}");
    }

    [Property(MaxTest = 200)]
    public void EqualsTheModel(int seed)
    {
        var rnd = new Random(seed);
        bool fp16 = rnd.Next(2) == 0;
        var model = TensorCoreVariants.GetFp8(fp16 ? PvModelSet.Fp16VariantName : PvModelSet.Fp32VariantName);
        var kernel = Fp8PvRowLaneKernel.TryCreate(model);
        if (kernel is null) return; // no AVX-512 here: the emulator uses the row path, which Fp8PvFastPathTests cover
        int d = 16 * rnd.Next(1, 9);
        const int rows = 128;
        var p = new byte[rows * 128];
        var v = new byte[128 * d];
        int pStyle = rnd.Next(6), vStyle = rnd.Next(5);
        for (int i = 0; i < p.Length; i++) p[i] = Fp8PvTileKernelTestCodes.PCode(rnd, pStyle);
        for (int i = 0; i < v.Length; i++) v[i] = Fp8PvTileKernelTestCodes.VCode(rnd, vStyle);
        if (rnd.Next(4) == 0) // a zero channel, a zero row, a channel of one sign
        {
            int c0 = rnd.Next(d);
            for (int t = 0; t < 128; t++) v[t * d + c0] = 0;
            Array.Clear(p, rnd.Next(rows) * 128, 128);
            int c1 = rnd.Next(d), sign = rnd.Next(2) * 0x80;
            for (int t = 0; t < 128; t++) v[t * d + c1] = (byte)((v[t * d + c1] & 0x7F) | sign);
        }
        int cStyle = rnd.Next(5);
        var accT = new float[d * rows];
        for (int i = 0; i < accT.Length; i++)
            accT[i] = cStyle switch
            {
                0 => 0f,
                1 or 2 => Fp8PvTileKernelTestCodes.InsideAccumulator(rnd, fp16),
                3 => rnd.Next(2000) == 0 ? Fp8PvTileKernelTestCodes.Accumulator(rnd, fp16) : Fp8PvTileKernelTestCodes.InsideAccumulator(rnd, fp16),
                _ => Fp8PvTileKernelTestCodes.Accumulator(rnd, fp16),
            };
        int from = rnd.Next(4) * 32, count = 32 * rnd.Next(1, (128 - from) / 32 + 1);
        bool fromZero = cStyle == 0 && rnd.Next(2) == 0;

        var expected = (float[])accT.Clone();
        var column = new byte[count];
        for (int c = 0; c < d; c++)
        {
            for (int t = 0; t < count; t++) column[t] = v[(from + t) * d + c];
            for (int r = 0; r < rows; r++)
                expected[c * rows + r] = model.DotBytes(p.AsSpan(r * 128 + from, count), column, fromZero ? 0f : accT[c * rows + r]);
        }
        if (fromZero) Array.Fill(accT, float.NaN);
        kernel.Chain(p, v, d, from, count, accT, fromZero);
        for (int c = 0; c < d; c++)
        for (int r = 0; r < rows; r++)
        {
            float e = expected[c * rows + r], a = accT[c * rows + r];
            Assert.True(BitConverter.SingleToUInt32Bits(e) == BitConverter.SingleToUInt32Bits(a) || (float.IsNaN(e) && float.IsNaN(a)),
                $"seed {seed} ({(fp16 ? "fp16" : "fp32")}, P style {pStyle}, V style {vStyle}, C style {cStyle}, from zero {fromZero}, from {from}, count {count}) row {r} channel {c}: model {e:R}, kernel {a:R}");
        }
    }
}
