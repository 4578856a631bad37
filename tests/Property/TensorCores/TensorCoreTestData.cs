using System.Security.Cryptography;
using Sage.Emulation.TensorCores;

namespace Sage.Property.Tests.TensorCores;

/// <summary>The recorded H100 vectors committed beside these tests (tests/Property/TensorCores/Data).</summary>
internal static class TensorCoreTestData
{
    public const string ProbesFile = "h100-probes-2026-11-25.bin.gz";
    public const string DigestsFile = "h100-random-digests-2026-11-25.csv";

    /// <summary>
    /// The data file, found by walking up from the test binary and from the working directory to the repository's
    /// tests/Property/TensorCores/Data (the test project copies nothing; the device run starts in the repository root).
    /// </summary>
    public static string PathOf(string fileName)
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "tests", "Property", "TensorCores", "Data", fileName);
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new FileNotFoundException($"recorded tensor-core data '{fileName}' not found above {AppContext.BaseDirectory} or {Directory.GetCurrentDirectory()}");
    }

    private static readonly Lazy<IReadOnlyList<ProbeRecord>> s_records = new(() => ProbeRecord.ReadFile(PathOf(ProbesFile)));

    public static IReadOnlyList<ProbeRecord> Records => s_records.Value;

    /// <summary>variant → (cases, sha256 of the first 65536 outputs, sha256 of all outputs).</summary>
    public static IReadOnlyDictionary<string, (int Cases, string First65536, string All)> Digests { get; } = LoadDigests();

    private static Dictionary<string, (int, string, string)> LoadDigests()
    {
        var d = new Dictionary<string, (int, string, string)>(StringComparer.Ordinal);
        foreach (string line in File.ReadLines(PathOf(DigestsFile)))
        {
            if (line.StartsWith('#') || line.StartsWith("variant,", StringComparison.Ordinal) || line.Length == 0) continue;
            var f = line.Split(',');
            d[f[0]] = (int.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture), f[2], f[3]);
        }
        return d;
    }

    /// <summary>SHA-256 (lower-case hex) of the model's output words for cases [0, count) of a variant's random stream.</summary>
    public static string ModelDigest(ProbeVariant variant, int count) => ModelDigest(variant, TensorCoreVariants.Get(variant.ModelName), count);

    /// <summary>As above with a given model (e.g. the scalar path of an FP8 model).</summary>
    public static string ModelDigest(ProbeVariant variant, IDotProductModel model, int count)
    {
        var outputs = new byte[count * variant.OutputBytes];
        int w = variant.OutputBytes;
        Parallel.For(0, Environment.ProcessorCount, part =>
        {
            var a = new byte[variant.K];
            var b = new byte[variant.K];
            for (int i = part; i < count; i += Environment.ProcessorCount)
            {
                uint c = variant.Generate((ulong)i, a, b);
                uint d = variant.Evaluate(model, a, b, c);
                if (w == 2) BitConverter.TryWriteBytes(outputs.AsSpan(2 * i), (ushort)d);
                else BitConverter.TryWriteBytes(outputs.AsSpan(4 * i), d);
            }
        });
        return Convert.ToHexStringLower(SHA256.HashData(outputs));
    }
}
