using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sage.Emulation.Planning;

/// <summary>
/// A per-layer accumulation plan: for each layer the chosen mode, and every metric measured on the way, with the
/// budget and the candidate table it was made under. Saved and loaded as JSON (<see cref="Save"/>, <see cref="Load"/>).
/// </summary>
/// <remarks>
/// Use <see cref="OptionsFor"/> to run a layer: it returns the <see cref="SageOptions"/> to hand to any backend, or
/// null when the layer must run full-precision (unquantised FP16) attention because no quantised mode fitted.
/// </remarks>
public sealed record Plan
{
    /// <summary>Version of the plan file format; <see cref="Load"/> refuses others.</summary>
    public const int CurrentFormatVersion = 1;

    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>The tool and library version that made the plan.</summary>
    public required string Tool { get; init; }

    public required DateTimeOffset Created { get; init; }

    public required PlanBudget Budget { get; init; }

    /// <summary>Query rows per head the planner was asked to sample; null: every row was evaluated.</summary>
    public int? SampledRowsRequested { get; init; }

    /// <summary>The backend the plan is meant for (absent in older files: CUDA).</summary>
    public PlanTarget Target { get; init; } = PlanTarget.Cuda;

    /// <summary>The speed table the candidates were ordered by (source, device, shape); null in files made before it was recorded.</summary>
    public string? SpeedTable { get; init; }

    /// <summary>The candidate table (fastest first) the plan was made with.</summary>
    public required IReadOnlyList<PlanCandidateInfo> Candidates { get; init; }

    public required IReadOnlyList<LayerPlan> Layers { get; init; }

    /// <summary>The plan of layer <paramref name="layerName"/>; an unknown name throws a KeyNotFoundException listing the known ones.</summary>
    public LayerPlan Layer(string layerName)
    {
        ArgumentNullException.ThrowIfNull(layerName);
        foreach (var l in Layers) if (l.Name == layerName) return l;
        throw new KeyNotFoundException(
            $"The plan has no layer '{layerName}'; it has {Layers.Count}: {string.Join(", ", Layers.Take(8).Select(l => l.Name))}{(Layers.Count > 8 ? ", ..." : "")}.");
    }

    /// <summary>The Sage options to run layer <paramref name="layerName"/> with; null: run full-precision attention.</summary>
    public SageOptions? OptionsFor(string layerName) => Layer(layerName).Options?.ToSageOptions();

    /// <summary>Indented JSON, enums as names, NaN metrics as "NaN".</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static Plan FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        Plan? plan;
        try
        {
            plan = JsonSerializer.Deserialize<Plan>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new FormatException($"Not a plan file: {e.Message}", e);
        }
        if (plan is null) throw new FormatException("Not a plan file: the JSON is null.");
        if (plan.FormatVersion != CurrentFormatVersion)
            throw new FormatException($"Plan format version {plan.FormatVersion} is not supported; this tool reads version {CurrentFormatVersion}.");
        return plan;
    }

    public void Save(string path) => File.WriteAllText(path, ToJson());

    public static Plan Load(string path) => FromJson(File.ReadAllText(path));

    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // layer names and versions stay readable ("+", not \u002B)
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
        RespectRequiredConstructorParameters = true,
    };
}

/// <summary>A candidate of the table a plan was made with, as the plan file stores it.</summary>
public sealed record PlanCandidateInfo(string Name, string Description, double RelativeSpeed, bool SpeedMeasured, string SpeedSource,
    bool Fallback, PlannedOptions? Options)
{
    public static PlanCandidateInfo From(PlanCandidate c) =>
        new(c.Name, c.Description, c.RelativeSpeed, c.SpeedMeasured, c.SpeedSource, c.IsFallback,
            c.Options is null ? null : PlannedOptions.From(c.Options));
}
