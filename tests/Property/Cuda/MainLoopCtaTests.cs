using Sage.Cuda;
using Sage.Reference;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// The host side of the main loop's two CTAs (attention_solo.cuh): the shared CTA's shared memory fits one block, the
/// SAGE_MAIN_LOOP switch parses, "auto" takes the shared CTA only where it was measured faster, and the grid is
/// (CTA, head, batch), or one-dimensional in the same order when causal.
/// </summary>
public class MainLoopCtaTests
{
    [Fact]
    public void Shared_cta_fits_one_block_of_227_KiB()
    {
        int bytes = CudaAttention.ShareSharedMemoryBytes(128);
        Assert.Equal(3 * 8192 + 6 * 33792 + (18 + 3) * 8, bytes);
        Assert.True(bytes <= 227 * 1024, $"{bytes} > 227 KiB (the most one CTA may ask for on sm_90)");
    }

    [Fact]
    public void Shared_cta_memory_at_head_dim_64_is_refused() =>
        Assert.Equal("headDim", Assert.Throws<ArgumentOutOfRangeException>(() => CudaAttention.ShareSharedMemoryBytes(64)).ParamName);

    [Theory]
    [InlineData(null, "Auto")]
    [InlineData("auto", "Auto")]
    [InlineData("share", "Share")]
    [InlineData("solo", "Solo")]
    public void Main_loop_switch(string? value, string expected) =>
        Assert.Equal(expected, CudaAttention.MainLoopCtaSelected(value).ToString());

    // Every PV mode takes the same choice (FP32 single-level joined the others in session 17), so the mode is no input.
    [Theory]
    [InlineData("Auto", 128, 16384, 16384, true)]
    [InlineData("Auto", 128, 32768, 16384, true)]
    [InlineData("Auto", 128, 8192, 32768, false)] // short: the solo CTA hides its prologue
    [InlineData("Auto", 128, 8192, 8192, false)]
    [InlineData("Auto", 64, 16384, 16384, false)]
    [InlineData("Share", 128, 100, 7, true)]
    [InlineData("Share", 128, 2048, 2048, true)] // forced, whoever quantises Q
    [InlineData("Share", 64, 16384, 16384, false)]
    [InlineData("Solo", 128, 16384, 16384, false)]
    public void Shared_cta_choice(string choice, int headDim, int nq, int nk, bool expected) =>
        Assert.Equal(expected, CudaAttention.UsesSharedCta(Enum.Parse<CudaAttention.MainLoopCta>(choice), headDim, nq, nk));

    [Fact]
    public void Unknown_main_loop_names_the_variable()
    {
        var e = Assert.Throws<ArgumentException>(() => CudaAttention.MainLoopCtaSelected("trio"));
        Assert.Contains(CudaAttention.MainLoopEnvironmentVariable, e.Message);
        Assert.Contains("trio", e.Message);
    }

    [Theory]
    [InlineData(16384, false, true, 86, 32, 4)]
    [InlineData(16384, false, false, 256, 32, 4)]
    [InlineData(16384, true, true, 86 * 32 * 4, 1, 1)]
    [InlineData(2047, true, false, 32 * 32 * 4, 1, 1)]
    [InlineData(1, true, false, 32 * 4, 1, 1)]
    public void Main_loop_grid(int nq, bool causal, bool shared, uint x, uint y, uint z) =>
        Assert.Equal(new Dim3(x, y, z), CudaAttention.MainLoopGrid(new AttentionShape(4, 32, 8, nq, 16384, 128), causal, shared));

    [Fact]
    public void Causal_grid_beyond_32_bits_is_refused_with_the_shape() =>
        Assert.Contains("causal main-loop CTAs", Assert.Throws<NotSupportedException>(() =>
            CudaAttention.MainLoopGrid(new AttentionShape(4096, 64, 64, 1 << 20, 64, 128), causal: true, shared: false)).Message);
}
