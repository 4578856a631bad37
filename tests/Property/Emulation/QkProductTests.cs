using FsCheck.Xunit;
using Sage.Emulation;
using Sage.Emulation.Mainloop;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>
/// Both QKᵀ paths (float FMAs on the integers, AVX-VNNI on the bytes) equal the integer dot product of the
/// quantised values, including the extremes ±127, −128 and INT4's ±7, for head dims 64 and 128.
/// </summary>
public class QkProductTests
{
    [Property(MaxTest = 100)]
    public void BothPathsEqualTheIntegerDotProduct(int seed)
    {
        var rnd = new Random(seed);
        int d = rnd.Next(2) == 0 ? 64 : 128;
        const int n = KernelTiling.KeyTileTokens;
        int rows = 4 * rnd.Next(1, 33);
        int style = rnd.Next(3); // 0: INT8 range, 1: extremes, 2: INT4 range
        sbyte Value() => style switch
        {
            0 => (sbyte)rnd.Next(-127, 128),
            1 => rnd.Next(3) switch { 0 => (sbyte)127, 1 => (sbyte)-128, _ => (sbyte)-127 },
            _ => (sbyte)rnd.Next(-7, 8),
        };
        var q = new sbyte[rows * d];
        var k = new sbyte[n * d]; // token-major
        for (int i = 0; i < q.Length; i++) q[i] = Value();
        for (int i = 0; i < k.Length; i++) k[i] = Value();

        var expected = new int[rows * n];
        for (int i = 0; i < rows; i++)
        for (int j = 0; j < n; j++)
        {
            int sum = 0;
            for (int c = 0; c < d; c++) sum += q[i * d + c] * k[j * d + c];
            expected[i * n + j] = sum;
        }

        var qf = q.Select(x => (float)x).ToArray();
        var kt = new float[d * n];
        for (int j = 0; j < n; j++) for (int c = 0; c < d; c++) kt[c * n + j] = k[j * d + c];
        var viaFloat = new int[rows * n];
        QkProduct.Multiply(qf, kt, rows, d, viaFloat);
        Assert.Equal(expected, viaFloat);

        if (!QkProduct.BytePathSupported) return;
        var interleaved = new sbyte[n * d];
        var sums = new int[n];
        for (int j = 0; j < n; j++)
        for (int c = 0; c < d; c++)
        {
            interleaved[(c >> 2) * n * 4 + j * 4 + (c & 3)] = k[j * d + c];
            sums[j] += k[j * d + c];
        }
        var words = new int[rows * d / 4];
        QkProduct.PackQueryWords(q, words);
        var viaBytes = new int[rows * n];
        QkProduct.MultiplyBytes(words, interleaved, sums, rows, d, viaBytes);
        Assert.Equal(expected, viaBytes);
    }
}

/// <summary>V quantisation written token-major equals the channel-major stage (scales and every code).</summary>
public class ValueQuantizationLayoutTests
{
    [Property(MaxTest = 50)]
    public void TokenMajorEqualsChannelMajor(int seed)
    {
        var rnd = new Random(seed);
        int d = rnd.Next(2) == 0 ? 64 : 128;
        int n = rnd.Next(1, 300), padded = (n + 127) / 128 * 128;
        var values = new float[n * d];
        double magnitude = Math.Pow(10, rnd.Next(-6, 6));
        int zeroChannel = rnd.Next(d);
        for (int i = 0; i < values.Length; i++)
            values[i] = i % d == zeroChannel ? 0f : (float)((rnd.NextDouble() - 0.5) * magnitude * (rnd.Next(50) == 0 ? 1000 : 1));
        float vMax = rnd.Next(3) switch { 0 => 448f, 1 => 2.25f, _ => KernelConstants.VMax(PvAccumulation.Fp16TwoLevel) };
        var scalesA = new float[d];
        var scalesB = new float[d];
        var transposed = new byte[d * padded];
        var tokenMajor = new byte[padded * d];
        Sage.Emulation.Preprocessing.VQuantization.Quantize(values, n, d, padded, vMax, scalesA, transposed);
        Sage.Emulation.Preprocessing.VQuantization.QuantizeTokenMajor(values, n, d, padded, vMax, scalesB, tokenMajor);
        Assert.Equal(scalesA, scalesB);
        for (int t = 0; t < padded; t++)
        for (int c = 0; c < d; c++)
            Assert.True(transposed[c * padded + t] == tokenMajor[t * d + c], $"seed {seed}: token {t} channel {c}");
    }
}
