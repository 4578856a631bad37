using FsCheck.Xunit;
using Sage.Cuda;
using Sage.Cuda.Interop;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// The host-side checks of a TMA map (ByteTileMap.Validate), which run before cuTensorMapEncodeTiled: the maps of the solo
/// attention kernels pass, and each documented limit of the driver is refused with the offending value named.
/// </summary>
public class ByteTileMapTests
{
    private static ByteTileMap KeyMap(int headDim = 128) =>
        new(0x7f00_0000_0000, (ulong)headDim, 4UL * 32 * 16384, (ulong)headDim, (uint)headDim, 128,
            headDim == 128 ? CuTensorMapSwizzle.Bytes128 : CuTensorMapSwizzle.Bytes64);

    [Theory]
    [InlineData(64)]
    [InlineData(128)]
    public void The_solo_kernels_maps_are_valid(int headDim)
    {
        KeyMap(headDim).Validate();
        // V: [B·Hkv·d rows, padK] in boxes of d channels × 128 tokens, 128-byte swizzle.
        new ByteTileMap(0x7f00_0000_0000, 16384, 4UL * 32 * (ulong)headDim, 16384, 128, (uint)headDim, CuTensorMapSwizzle.Bytes128).Validate();
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(0x7f00_0000_0008UL)]
    public void Address_must_be_a_nonzero_multiple_of_16(ulong address)
    {
        var e = Assert.Throws<ArgumentException>(() => (KeyMap() with { Address = address }).Validate());
        Assert.Equal("Address", e.ParamName);
    }

    [Property]
    public bool Row_stride_must_be_a_multiple_of_16_at_least_the_width(ushort stride)
    {
        var map = KeyMap() with { RowStride = stride };
        bool valid = stride % 16 == 0 && stride >= 128;
        try
        {
            map.Validate();
            return valid;
        }
        catch (ArgumentOutOfRangeException e)
        {
            return !valid && e.ParamName == "RowStride";
        }
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(8u)]
    [InlineData(272u)]
    public void Box_width_must_be_16_byte_chunks_up_to_256(uint boxWidth)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => (KeyMap() with { BoxWidth = boxWidth, Swizzle = CuTensorMapSwizzle.None }).Validate());
        Assert.Equal("BoxWidth", e.ParamName);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(257u)]
    public void Box_rows_must_be_1_to_256(uint boxRows)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => (KeyMap() with { BoxRows = boxRows }).Validate());
        Assert.Equal("BoxRows", e.ParamName);
    }

    [Fact]
    public void A_swizzled_box_row_fits_the_swizzle_span()
    {
        // d = 128 rows under a 64-byte swizzle: refused; the same rows with the 128-byte swizzle pass.
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => (KeyMap() with { Swizzle = CuTensorMapSwizzle.Bytes64 }).Validate());
        Assert.Equal("BoxWidth", e.ParamName);
        Assert.Contains("64", e.Message);
        (KeyMap() with { Swizzle = CuTensorMapSwizzle.Bytes128 }).Validate();
    }

    [Fact]
    public void Dimensions_are_1_to_2_pow_32()
    {
        Assert.Equal("Rows", Assert.Throws<ArgumentOutOfRangeException>(() => (KeyMap() with { Rows = 0 }).Validate()).ParamName);
        Assert.Equal("Rows", Assert.Throws<ArgumentOutOfRangeException>(() => (KeyMap() with { Rows = (1UL << 32) + 1 }).Validate()).ParamName);
        Assert.Equal("Width", Assert.Throws<ArgumentOutOfRangeException>(() => (KeyMap() with { Width = 0 }).Validate()).ParamName);
        (KeyMap() with { Rows = 1UL << 32 }).Validate();
    }

    [Fact]
    public void Swizzle_spans_are_the_pattern_widths()
    {
        Assert.Equal(0, ByteTileMap.SwizzleSpan(CuTensorMapSwizzle.None));
        Assert.Equal(32, ByteTileMap.SwizzleSpan(CuTensorMapSwizzle.Bytes32));
        Assert.Equal(64, ByteTileMap.SwizzleSpan(CuTensorMapSwizzle.Bytes64));
        Assert.Equal(128, ByteTileMap.SwizzleSpan(CuTensorMapSwizzle.Bytes128));
    }

    [Theory]
    [InlineData(128, 75832)] // three CTAs per SM
    [InlineData(64, 56400)]  // four CTAs per SM
    public void Solo_shared_memory_fits_the_CTAs_per_SM(int headDim, int expected)
    {
        int bytes = CudaAttention.SoloSharedMemoryBytes(headDim);
        Assert.Equal(expected, bytes);
        int ctas = headDim == 128 ? 3 : 4;
        Assert.True(ctas * (bytes + 1024) <= 228 * 1024, $"{ctas} × ({bytes} + 1024) > 228 KiB");
    }
}
