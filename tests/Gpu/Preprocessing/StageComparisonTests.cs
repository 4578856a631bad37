using Xunit;

namespace Sage.Gpu.Tests.Preprocessing;

/// <summary>CPU only: the comparison the GPU tests rely on does catch a one-bit difference and names where.</summary>
public sealed class StageComparisonTests
{
    [Fact]
    public void One_ulp_in_a_scale_is_a_mismatch_named_by_its_indices()
    {
        var cmp = new StageComparison("problem");
        float[] expected = [1f, 2f, 3f, 4f, 5f, 6f];
        float[] actual = [1f, 2f, 3f, 4f, BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(5f) + 1), 6f];
        cmp.Floats("stage X", expected, actual, ("bh", 2), ("c", 3));
        Assert.Equal(1, cmp.Mismatches);
        var e = Assert.ThrowsAny<Exception>(cmp.ThrowIfAny);
        Assert.Contains("stage X", e.Message);
        Assert.Contains("bh=1, c=1", e.Message);
        Assert.Contains("0x40A00001", e.Message);
    }

    [Fact]
    public void Negative_zero_code_differs_from_positive_zero_code()
    {
        var cmp = new StageComparison("problem");
        cmp.Codes("VQuantization", new byte[] { 0x00, 0x38 }, new byte[] { 0x80, 0x38 }, ("t", 2));
        Assert.Equal(1, cmp.Mismatches);
        Assert.Equal(2, cmp.BytesCompared);
    }

    [Fact]
    public void Int4_unpacking_follows_the_mma_s4_operand_order()
    {
        // Byte 0x9E: element 0 = low nibble 0xE = -2, element 1 = high nibble 0x9 = -7.
        Assert.Equal(new sbyte[] { -2, -7, 7, 0 }, PreprocessingGpu.UnpackInt4([unchecked((sbyte)0x9E), 0x07]));
    }
}
