using FsCheck.Xunit;
using Sage.Reference.Calibration;
using Xunit;

namespace Sage.Property.Tests.Calibration;

public class NaturalStringComparerTests
{
    private static readonly NaturalStringComparer Natural = NaturalStringComparer.Instance;

    [Fact]
    public void DigitRunsCompareByValue()
    {
        string[] sorted = ["", "layer", "layer01", "layer1", "layer2", "layer9", "layer10", "layer10.a", "layer10b", "layer100", "layerA"];
        Assert.Equal(sorted, sorted.Reverse().OrderBy(s => s, Natural));
        Assert.Equal(["b.2.q", "b.10.k", "b.99999999999999999999999.v", "b.100000000000000000000000.v"],
            new[] { "b.100000000000000000000000.v", "b.10.k", "b.99999999999999999999999.v", "b.2.q" }.OrderBy(s => s, Natural));
    }

    [Property(MaxTest = 500)]
    public void NumbersSortAsNumbers(uint a, uint b) =>
        Assert.Equal(a.CompareTo(b), Math.Sign(Natural.Compare($"layer{a}.q", $"layer{b}.q")));

    [Property(MaxTest = 500)]
    public void IsATotalOrder(string? x, string? y, string? z)
    {
        Assert.Equal(Math.Sign(Natural.Compare(x, y)), -Math.Sign(Natural.Compare(y, x)));
        Assert.Equal(x == y, Natural.Compare(x, y) == 0);
        if (Natural.Compare(x, y) <= 0 && Natural.Compare(y, z) <= 0) Assert.True(Natural.Compare(x, z) <= 0);
    }
}
