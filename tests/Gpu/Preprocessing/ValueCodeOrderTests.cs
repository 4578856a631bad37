using Sage.Cuda.Preprocessing;
using Xunit;

namespace Sage.Gpu.Tests.Preprocessing;

/// <summary>
/// The storage order of the V codes (docs/kernel-spec.md §4 "Storage layout"): a permutation inside every 16-token
/// group that puts, at k position 4t + j of the m64k32 8-bit register A fragment, the token whose P value lane t holds
/// in accumulator register order (8i + 2t + e). No GPU needed.
/// </summary>
public sealed class ValueCodeOrderTests
{
    [Fact]
    public void Positions_permute_each_16_token_group()
    {
        for (int group = 0; group < 8; group++)
        {
            var positions = Enumerable.Range(16 * group, 16).Select(PreprocessLayout.ValueCodePosition).Order().ToArray();
            Assert.Equal(Enumerable.Range(16 * group, 16), positions);
        }
    }

    [Fact]
    public void Fragment_k_positions_hold_the_lane_tokens_in_register_order()
    {
        // Lane t, k-step s: fragment registers 0/2 hold k positions 4t..4t+3 and 16+4t..16+4t+3, filled from the
        // accumulator column groups i = 4s, 4s+1 (register 0) and 4s+2, 4s+3 (register 2), columns 8i+2t, 8i+2t+1.
        for (int s = 0; s < 4; s++)
        for (int t = 0; t < 4; t++)
        for (int half = 0; half < 2; half++)
        for (int j = 0; j < 4; j++)
        {
            int i = 4 * s + 2 * half + (j >> 1);
            int token = 8 * i + 2 * t + (j & 1);
            int k = 32 * s + 16 * half + 4 * t + j;
            Assert.Equal(k, PreprocessLayout.ValueCodePosition(token));
        }
    }

    [Fact]
    public void Token_order_is_restored_on_readback()
    {
        const int padded = 256;
        var natural = Enumerable.Range(0, 2 * padded).Select(x => (byte)(x * 7 + 3)).ToArray();
        var stored = new byte[natural.Length];
        for (int row = 0; row < 2; row++)
            for (int token = 0; token < padded; token++)
                stored[row * padded + (token & ~127) + PreprocessLayout.ValueCodePosition(token & 127)] = natural[row * padded + token];
        Assert.Equal(natural, PreprocessLayout.ValueCodesInTokenOrder(stored, padded));
    }
}
