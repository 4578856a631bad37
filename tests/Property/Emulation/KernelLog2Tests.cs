using FsCheck.Xunit;
using Sage.Emulation.Epilogue;
using Xunit;

namespace Sage.Property.Tests.Emulation;

/// <summary>The specified log2 of the LSE (docs/kernel-spec.md §10) is accurate to binary64 working precision.</summary>
public class KernelLog2Tests
{
    [Property(MaxTest = 500)]
    public void AgreesWithMathLog2(uint bits)
    {
        float x = BitConverter.UInt32BitsToSingle(bits & 0x7FFF_FFFFu);
        if (!(x > 0f) || !float.IsFinite(x)) return;
        double ours = KernelLog2.Evaluate(x), platform = Math.Log2(x);
        Assert.True(Math.Abs(ours - platform) <= 4e-16 * Math.Max(1, Math.Abs(platform)), $"x = {x:R}: {ours:R} vs {platform:R}");
    }

    [Fact]
    public void PowersOfTwoAreExact()
    {
        for (int e = -149; e <= 127; e++)
            Assert.Equal((double)e, KernelLog2.Evaluate(MathF.ScaleB(1f, e)));
    }

    [Fact]
    public void RejectsNonPositiveInputs()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelLog2.Evaluate(0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelLog2.Evaluate(-1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelLog2.Evaluate(float.PositiveInfinity));
    }
}
