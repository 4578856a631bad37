namespace Sage.Cuda;

/// <summary>
/// The schedule switches' one parsing rule (SAGE_MAIN_LOOP, SAGE_PREPROCESS_*, ...): an environment variable names one of
/// a few choices; unset or empty means the first (the default); anything else is an <see cref="ArgumentException"/> that
/// names the variable, the value and the choices. Every choice of a switch gives the same bits, only the schedule differs.
/// </summary>
internal static class ScheduleSwitch
{
    public static T Select<T>(string variable, string? value, params ReadOnlySpan<(string Name, T Choice)> choices)
    {
        if (choices.IsEmpty) throw new ArgumentException("A switch needs at least one choice.", nameof(choices));
        if (string.IsNullOrEmpty(value)) return choices[0].Choice;
        foreach (var (name, choice) in choices)
            if (name == value) return choice;
        var names = new List<string>();
        foreach (var (name, _) in choices) names.Add($"'{name}'");
        string expected = names.Count == 1 ? names[0] : string.Join(", ", names.Take(names.Count - 1)) + " or " + names[^1];
        throw new ArgumentException($"{variable}={value}: expected {expected}.");
    }
}
