using Sage.Emulation;
using Sage.Numerics;
using Xunit;

namespace Sage.Property.Tests.Api;

/// <summary>Non-finite or huge inputs are refused by the Sage backends, naming tensor, position and value; never a silent NaN.</summary>
public class SageInputDomainTests
{
    private static readonly AttentionShape Shape = new(1, 2, 1, 5, 7, 64);

    private static HostTensor Tensor(ElementType type, int[] shape, Func<int, float> value)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        return HostTensor.Create(type, Enumerable.Range(0, n).Select(value).ToArray(), shape);
    }

    [Theory]
    [InlineData(ElementType.Float32, float.NaN, TensorLayout.HND)]
    [InlineData(ElementType.Float32, float.PositiveInfinity, TensorLayout.NHD)]
    [InlineData(ElementType.Float32, 2e30f, TensorLayout.HND)]
    [InlineData(ElementType.Float16, float.NegativeInfinity, TensorLayout.HND)]
    [InlineData(ElementType.Float16, float.NaN, TensorLayout.NHD)]
    [InlineData(ElementType.BFloat16, float.NaN, TensorLayout.HND)]
    [InlineData(ElementType.BFloat16, 1e35f, TensorLayout.NHD)]
    public void EmulatorRefusesAnOutOfDomainElementNamingItsPosition(ElementType type, float bad, TensorLayout layout)
    {
        var problem = new AttentionProblem(Shape, layout);
        int[] qs = Shape.QueryShape(layout), ks = Shape.KeyValueShape(layout);
        var q = Tensor(type, qs, i => (i % 7) * 0.25f - 0.5f);
        var v = Tensor(type, ks, i => (i % 5) * 0.5f - 1f);
        // Put the bad value at K[batch 0, head 0, token 3, channel 10].
        int at = layout == TensorLayout.HND ? 3 * 64 + 10 : (3 * 1 + 0) * 64 + 10;
        var k = Tensor(type, ks, i => i == at ? bad : (i % 3) * 0.5f);

        var e = Assert.Throws<ArgumentException>(() => new EmulatedAttention().Run(problem, q, k, v));
        Assert.Equal("k", e.ParamName);
        Assert.Contains("token 3, channel 10", e.Message);
        Assert.Contains("2^100", e.Message);
    }

    [Fact]
    public void LargestAllowedMagnitudesPass()
    {
        Assert.Equal(-1, SageInputDomain.FirstOutside(HostTensor.FromSingle([BitConverter.UInt32BitsToSingle(0x717FFFFF), -1e30f], 2)));
        Assert.Equal(1, SageInputDomain.FirstOutside(HostTensor.FromSingle([1f, SageInputDomain.MaxMagnitude], 2)));
        Assert.Equal(-1, SageInputDomain.FirstOutside(HostTensor.Create(ElementType.Float16, [65504f, -65504f], 2)));
        // The largest BF16 below 2^100 passes, 2^100 itself does not.
        float belowBf16 = BFloat16.FromBits(0x717F).ToSingle();
        Assert.Equal(-1, SageInputDomain.FirstOutside(HostTensor.Create(ElementType.BFloat16, [belowBf16], 1)));
        Assert.Equal(0, SageInputDomain.FirstOutside(HostTensor.Create(ElementType.BFloat16, [SageInputDomain.MaxMagnitude], 1)));
    }

    [Fact]
    public void MaxMagnitudeIsExactlyTwoToThe100() => Assert.Equal((uint)(127 + 100) << 23, BitConverter.SingleToUInt32Bits(SageInputDomain.MaxMagnitude));
}
