using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sage.Emulation.Planning;

/// <summary>
/// A measured per-mode speed table of the CUDA kernel: what `sage bench --modes all --json` prints and what the planner
/// orders its candidates by (<see cref="ModeSpeeds.CandidatesFor"/>). The library embeds one recorded run
/// (<see cref="Recorded"/>, docs/results/mode-speeds-2026-11-25.md); `sage plan --speeds FILE` uses a user's own.
/// </summary>
public sealed record ModeSpeedTable
{
    /// <summary>The format tag every table carries; <see cref="FromJson"/> refuses others. The rows' "p" (P encoding) and
    /// "keyMean" (SmoothK's mean tokens) came within /1: both are optional and default to what earlier tables timed (Exp2,
    /// every token), so they read unchanged.</summary>
    public const string CurrentFormat = "sage-mode-speeds/1";

    public string Format { get; init; } = CurrentFormat;

    /// <summary>Where the numbers come from (command, commit, date), for plans and reports.</summary>
    public required string Source { get; init; }

    /// <summary>The GPU the table was measured on.</summary>
    public required string Device { get; init; }

    /// <summary>The problem every mode was timed on.</summary>
    public required ModeSpeedShape Shape { get; init; }

    /// <summary>One row per (QK granularity, PV accumulation, P encoding, key mean) the kernel runs; tables measured before
    /// <see cref="PEncoding.LogLinear"/> existed have Exp2 rows only, and tables measured before `--modes all` timed
    /// <see cref="KeyMeanTokens.Strided"/> have full-mean rows only.</summary>
    public required IReadOnlyList<ModeSpeedEntry> Modes { get; init; }

    /// <summary>The row of <paramref name="pv"/> at <paramref name="granularity"/> with P encoded by
    /// <paramref name="encoding"/> and SmoothK's mean over <paramref name="keyMean"/>, or null when the table has none.</summary>
    public ModeSpeedEntry? Find(QuantGranularity granularity, PvAccumulation pv, QkFormat qk = QkFormat.Int8,
        PEncoding encoding = PEncoding.Exp2, KeyMeanTokens keyMean = KeyMeanTokens.All) =>
        Modes.FirstOrDefault(m => m.Granularity == granularity && m.Pv == pv && m.Qk == qk && m.PEncoding == encoding && m.KeyMean == keyMean);

    /// <summary>Indented JSON with one line per mode (compact, diff-friendly, readable in a terminal).</summary>
    public string ToJson()
    {
        string V<T>(T value) => JsonSerializer.Serialize(value, JsonOptions);
        var rows = Modes.Select(m => "    " + V(m));
        return "{\n" +
               $"  \"format\": {V(Format)},\n  \"source\": {V(Source)},\n  \"device\": {V(Device)},\n  \"shape\": {V(Shape)},\n" +
               "  \"modes\": [\n" + string.Join(",\n", rows) + "\n  ]\n}\n";
    }

    /// <summary>Parses a table; a malformed one throws a FormatException that says what is wrong.</summary>
    public static ModeSpeedTable FromJson(string json, string origin = "speed table")
    {
        ArgumentNullException.ThrowIfNull(json);
        ModeSpeedTable? table;
        try
        {
            table = JsonSerializer.Deserialize<ModeSpeedTable>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new FormatException($"{origin}: not a mode speed table ({e.Message}).", e);
        }
        if (table is null) throw new FormatException($"{origin}: the JSON is null.");
        if (table.Format != CurrentFormat)
            throw new FormatException($"{origin}: format '{table.Format}' is not supported; this tool reads '{CurrentFormat}'.");
        if (table.Modes.Count == 0) throw new FormatException($"{origin}: the table lists no mode.");
        foreach (var m in table.Modes)
            if (!(m.EndToEndTflops > 0) || !double.IsFinite(m.EndToEndTflops))
                throw new FormatException($"{origin}: mode {m.Qk}/{m.Granularity}/{m.Pv}/{m.PEncoding} (key mean {m.KeyMean}) has end-to-end TFLOPS {m.EndToEndTflops}; expected a positive number.");
        return table;
    }

    public static ModeSpeedTable Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return FromJson(File.ReadAllText(path), path);
    }

    /// <summary>The run recorded with the library (embedded resource RecordedModeSpeeds.json).</summary>
    public static ModeSpeedTable Recorded => RecordedTable.Value;

    // Lazy: a static initialiser here would run before JsonOptions (declared below) exists.
    private static readonly Lazy<ModeSpeedTable> RecordedTable = new(LoadRecorded);

    private static ModeSpeedTable LoadRecorded()
    {
        const string name = "Sage.Emulation.Planning.RecordedModeSpeeds.json";
        using var stream = typeof(ModeSpeedTable).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded resource {name} is missing from Sage.Emulation.");
        using var reader = new StreamReader(stream);
        return FromJson(reader.ReadToEnd(), name);
    }

    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
        RespectRequiredConstructorParameters = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}

/// <summary>The problem of a speed table: batch, heads, sequence length (Nq = Nk), head dim, causal.</summary>
public sealed record ModeSpeedShape(int Batch, int Heads, int SequenceLength, int HeadDim, bool Causal);

/// <summary>One timed mode, named by QK format, granularity, PV accumulation, P encoding and SmoothK's mean tokens: median
/// kernel-only and end-to-end (pre-processing included) times and TFLOPS.</summary>
/// <remarks>The P encoding (JSON "p") and the key mean (JSON "keyMean") are the last, optional parameters so that rows
/// written before <see cref="Sage.PEncoding.LogLinear"/> existed, which have no "p", still read, as Exp2: the only
/// encoding then; and rows written before `--modes all` timed <see cref="Sage.KeyMeanTokens.Strided"/>, which have no
/// "keyMean", read as <see cref="Sage.KeyMeanTokens.All"/>: what every earlier row timed. The columns that name the mode
/// come first in JSON (JsonPropertyOrder), so that a row reads qk, granularity, pv, p, keyMean, then its timings. A
/// full-mean row is written without "keyMean" (it reads back as the default), so that rows stay short and a table of
/// full-mean rows is written as before.</remarks>
public sealed record ModeSpeedEntry(
    [property: JsonPropertyOrder(-1)] QkFormat Qk,
    [property: JsonPropertyOrder(-1)] QuantGranularity Granularity,
    [property: JsonPropertyOrder(-1)] PvAccumulation Pv,
    double KernelMs, double EndToEndMs, double KernelTflops, double EndToEndTflops,
    [property: JsonPropertyOrder(-1), JsonPropertyName("p")] PEncoding PEncoding = PEncoding.Exp2,
    [property: JsonPropertyOrder(-1), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] KeyMeanTokens KeyMean = KeyMeanTokens.All);
