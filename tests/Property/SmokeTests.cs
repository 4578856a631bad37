using Xunit;

namespace Sage.Property.Tests;

public class SmokeTests
{
    [Fact]
    public void ProblemRejectsNonDivisibleGqa() =>
        Assert.Throws<ArgumentException>(() => new AttentionProblem(new AttentionShape(1, 6, 4, 8, 8, 64)));
}
