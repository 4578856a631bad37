using Sage.Cuda;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>
/// The schedule switches' one parsing rule (ScheduleSwitch.Select): unset or empty is the first choice, a listed name its
/// choice, anything else an ArgumentException naming the variable, the value and every choice.
/// </summary>
public class ScheduleSwitchTests
{
    private static int Pick(string? value) => ScheduleSwitch.Select("SAGE_TEST", value, ("a", 1), ("b", 2), ("c", 3));

    [Theory]
    [InlineData(null, 1)]
    [InlineData("", 1)]
    [InlineData("a", 1)]
    [InlineData("b", 2)]
    [InlineData("c", 3)]
    public void Unset_is_the_first_choice_and_names_pick_theirs(string? value, int expected) => Assert.Equal(expected, Pick(value));

    [Theory]
    [InlineData("B")]
    [InlineData(" a")]
    [InlineData("d")]
    public void Anything_else_names_the_variable_value_and_choices(string value)
    {
        var e = Assert.Throws<ArgumentException>(() => Pick(value));
        Assert.Equal($"SAGE_TEST={value}: expected 'a', 'b' or 'c'.", e.Message);
    }

    [Fact]
    public void Two_choices_read_as_either_or() =>
        Assert.Equal("SAGE_TEST=x: expected 'on' or 'off'.",
            Assert.Throws<ArgumentException>(() => ScheduleSwitch.Select("SAGE_TEST", "x", ("on", true), ("off", false))).Message);
}
