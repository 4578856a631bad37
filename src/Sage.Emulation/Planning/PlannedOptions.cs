namespace Sage.Emulation.Planning;

/// <summary>The fields of <see cref="SageOptions"/>, as a plan file stores them.</summary>
/// <remarks><see cref="SmoothV"/> and <see cref="PEncoding"/> came after format version 1's first files; a file without
/// them reads as false and <see cref="Sage.PEncoding.Exp2"/>, what those plans were evaluated with. The encoding is stored
/// because it changes P's codes: a layer run with another encoding than the planner emulated is not the measured mode.</remarks>
public sealed record PlannedOptions(QkFormat QkFormat, QuantGranularity Granularity, bool SmoothK, bool SmoothQ,
    PvAccumulation PvAccumulation, ElementType OutputType, bool SmoothV = false, PEncoding PEncoding = PEncoding.Exp2)
{
    public static PlannedOptions From(SageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(options.QkFormat, options.Granularity, options.SmoothK, options.SmoothQ, options.PvAccumulation, options.OutputType, options.SmoothV,
            options.PEncoding);
    }

    public SageOptions ToSageOptions() => new()
    {
        QkFormat = QkFormat,
        Granularity = Granularity,
        SmoothK = SmoothK,
        SmoothQ = SmoothQ,
        SmoothV = SmoothV,
        PvAccumulation = PvAccumulation,
        PEncoding = PEncoding,
        OutputType = OutputType,
    };
}
