using System.Security.Cryptography;
using Sage.Emulation.SpecialFunctions;
using Xunit;

namespace Sage.Property.Tests.TensorCores;

/// <summary>
/// KernelExp2 is the specified 2^x our kernels use instead of ex2.approx: these tests pin its values; the device
/// run compared it with the GPU on every float input (docs/results/tensor-cores-2026-11-25.md).
/// </summary>
public sealed class KernelExp2Tests
{
    [Fact]
    public void Integer_inputs_give_exact_powers_of_two_and_subnormal_results_flush_to_zero()
    {
        for (int n = -126; n <= 127; n++) Assert.Equal(MathF.ScaleB(1f, n), KernelExp2.Evaluate(n));
        Assert.Equal(0f, KernelExp2.Evaluate(-127f));
        Assert.Equal(0f, KernelExp2.Evaluate(-149.5f));
        Assert.Equal(0f, KernelExp2.Evaluate(float.NegativeInfinity));
        Assert.Equal(float.PositiveInfinity, KernelExp2.Evaluate(128f));
        Assert.Equal(float.PositiveInfinity, KernelExp2.Evaluate(float.PositiveInfinity));
        Assert.True(float.IsNaN(KernelExp2.Evaluate(float.NaN)));
        Assert.Equal(1f, KernelExp2.Evaluate(-0f));
    }

    [Fact]
    public void Error_stays_below_3_ulp_where_the_result_is_normal()
    {
        double worst = 0;
        for (float x = -125.9f; x < 127.9f; x += 0.000731f)
        {
            double exact = Math.Pow(2.0, x);
            double ulp = Math.ScaleB(1.0, Math.ILogB(exact) - 23);
            worst = Math.Max(worst, Math.Abs(KernelExp2.Evaluate(x) - exact) / ulp);
        }
        Assert.True(worst < 3.0, $"worst error {worst} ulp");
    }

    [Fact]
    public void Values_on_the_recorded_sample_hash_to_the_H100_digest()
    {
        // Inputs of the device sample: 2^19 bit patterns i·8192 + 1234, then 2^19 patterns stepping from −32 toward −0.
        const int half = 1 << 19;
        var outputs = new byte[2 * half * 4];
        uint lo = BitConverter.SingleToUInt32Bits(-32f);
        uint step = (lo - 0x80000000u) / half;
        for (int i = 0; i < 2 * half; i++)
        {
            uint bits = i < half ? (uint)i * 8192u + 1234u : lo - (uint)(i - half) * step;
            float y = KernelExp2.Evaluate(BitConverter.UInt32BitsToSingle(bits));
            BitConverter.TryWriteBytes(outputs.AsSpan(4 * i), BitConverter.SingleToUInt32Bits(y));
        }
        Assert.Equal(TensorCoreTestData.Digests["exp2.sage_kernel_exp2.samples"].All, Convert.ToHexStringLower(SHA256.HashData(outputs)));
    }
}
