using FsCheck.Xunit;
using Sage.Emulation;
using Sage.Emulation.Mainloop;
using Sage.Emulation.TensorCores;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// The vectorised PV evaluation equals the tensor-core model bit for bit on raw codes, including what attention
/// rarely produces: subnormal E4M3 values, FP16 subnormal and overflowing sums, tiny and huge incoming C.
/// </summary>
public class Fp8PvFastPathTests
{
    [Property(MaxTest = 200)]
    public void EqualsTheModel(int seed)
    {
        var rnd = new Random(seed);
        bool fp16 = rnd.Next(2) == 0;
        var model = TensorCoreVariants.Get(fp16 ? PvModelSet.Fp16VariantName : PvModelSet.Fp32VariantName);
        var fast = Fp8PvFastPath.TryCreate(model);
        Assert.NotNull(fast);
        const int d = 32;
        var p = new byte[128];
        var v = new byte[128 * d];
        int style = rnd.Next(3); // 0: any finite code, 1: subnormal-heavy, 2: near the maxima
        byte Code(bool signed)
        {
            int magnitude = style switch { 0 => rnd.Next(0, 0x7F), 1 => rnd.Next(0, 0x10), _ => rnd.Next(0x70, 0x7F) };
            return (byte)(magnitude | (signed && rnd.Next(2) == 0 ? 0x80 : 0));
        }
        for (int i = 0; i < p.Length; i++) p[i] = Code(false);
        for (int i = 0; i < v.Length; i++) v[i] = Code(true);
        var acc = new float[d];
        for (int c = 0; c < d; c++)
        {
            float x = rnd.Next(4) switch
            {
                0 => 0f,
                1 => (float)(rnd.NextDouble() - 0.5) * MathF.Pow(2, rnd.Next(-30, 30)),
                2 => (float)(rnd.NextDouble() - 0.5) * 1e-40f, // fp32 subnormal
                _ => (float)(rnd.NextDouble() - 0.5) * 120000f,
            };
            acc[c] = fp16 ? (float)(Half)x : x;
        }
        int from = rnd.Next(4) * 32, count = 32 * rnd.Next(1, (128 - from) / 32 + 1);
        var expected = new float[d];
        for (int c = 0; c < d; c++)
        {
            var column = new byte[count];
            for (int t = 0; t < count; t++) column[t] = v[(from + t) * d + c];
            expected[c] = ((Fp8FusedDotModel)model).DotBytes(p.AsSpan(from, count), column, acc[c]);
        }
        fast!.Chain(p, v, from, count, acc);
        for (int c = 0; c < d; c++)
            Assert.True(BitConverter.SingleToUInt32Bits(expected[c]) == BitConverter.SingleToUInt32Bits(acc[c]) || (float.IsNaN(expected[c]) && float.IsNaN(acc[c])),
                $"seed {seed} channel {c}: model {expected[c]:R}, fast {acc[c]:R}");
    }
}
