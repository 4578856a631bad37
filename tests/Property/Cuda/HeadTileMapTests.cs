using Sage.Cuda;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// The host-side checks of the rank-3 map of the pre-processing ring in the NHD layout (HeadTileMap.Validate), which run
/// before cuTensorMapEncodeTiled: the maps the ring makes of K and V, and the refusals that name the bad value.
/// </summary>
public class HeadTileMapTests
{
    // K of B = 4, Nk = 2048, Hkv = 32, d = 128 as bytes: rows of 256 bytes, 32 heads a token.
    private static HeadTileMap KeyMap() => new(0x7f00_0000_0000, 256, 32, 4 * 2048, 256, 32 * 256, 256, 128);

    [Fact]
    public void The_rings_maps_pass()
    {
        KeyMap().Validate();
        (KeyMap() with { BoxWidth = 16, BoxTokens = 256 }).Validate(); // a V item's box: 8 channels × 256 tokens
        new HeadTileMap(0x7f00_0000_0000, 128, 2, 2 * 1000, 128, 2 * 128, 128, 128).Validate(); // d = 64, GQA's few heads
    }

    [Fact]
    public void Misaligned_address_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => (KeyMap() with { Address = 0x7f00_0000_0008 }).Validate());
        Assert.Contains("0x7f0000000008", e.Message);
    }

    [Fact]
    public void Token_stride_below_a_tokens_heads_is_refused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => (KeyMap() with { TokenStride = 31 * 256 }).Validate());
        Assert.Equal("TokenStride", e.ParamName);
    }

    [Fact]
    public void Box_wider_than_a_row_or_than_256_is_refused()
    {
        Assert.Equal("BoxWidth", Assert.Throws<ArgumentOutOfRangeException>(() => (KeyMap() with { Width = 128, HeadStride = 128, TokenStride = 32 * 128 }).Validate()).ParamName);
        Assert.Equal("BoxTokens", Assert.Throws<ArgumentOutOfRangeException>(() => (KeyMap() with { BoxTokens = 512 }).Validate()).ParamName);
        Assert.Equal("BoxWidth", Assert.Throws<ArgumentOutOfRangeException>(() => (KeyMap() with { BoxWidth = 24 }).Validate()).ParamName);
    }

    [Fact]
    public void Head_stride_below_the_row_is_refused() =>
        Assert.Equal("HeadStride", Assert.Throws<ArgumentOutOfRangeException>(() => (KeyMap() with { HeadStride = 128 }).Validate()).ParamName);
}
