using FsCheck.Xunit;
using Xunit;

namespace Sage.Property.Tests;

public class SmokeTests
{
    [Fact]
    public void ProblemRejectsNonDivisibleGqa() =>
        Assert.Throws<ArgumentException>(() => new AttentionProblem(new AttentionShape(1, 6, 4, 8, 8, 64)));

    [Property]
    public bool BFloat16RoundTrip(ushort bits) =>
        Sage.Numerics.BFloat16.FromBits(bits).IsNaN || Sage.Numerics.BFloat16.FromSingle(Sage.Numerics.BFloat16.FromBits(bits).ToSingle()).Bits == bits;
}
