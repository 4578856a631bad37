namespace Sage.Emulation.Planning;

/// <summary>The fields of <see cref="SageOptions"/>, as a plan file stores them.</summary>
/// <remarks><see cref="SmoothV"/> and <see cref="PEncoding"/> came after format version 1's first files; a file without
/// them reads as false and <see cref="Sage.PEncoding.Exp2"/>, what those plans were evaluated with. The encoding is stored
/// because it changes P's codes: a layer run with another encoding than the planner emulated is not the measured mode.
/// <see cref="KeyMeanTokens"/> (session 34) likewise changes K's codes; a file without it reads as
/// <see cref="Sage.KeyMeanTokens.All"/>.</remarks>
public sealed record PlannedOptions(QkFormat QkFormat, QuantGranularity Granularity, bool SmoothK, bool SmoothQ,
    PvAccumulation PvAccumulation, ElementType OutputType, bool SmoothV = false, PEncoding PEncoding = PEncoding.Exp2,
    KeyMeanTokens KeyMeanTokens = KeyMeanTokens.All)
{
    public static PlannedOptions From(SageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new(options.QkFormat, options.Granularity, options.SmoothK, options.SmoothQ, options.PvAccumulation, options.OutputType, options.SmoothV,
            options.PEncoding, options.KeyMeanTokens);
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
        KeyMeanTokens = KeyMeanTokens,
        OutputType = OutputType,
    };
}
