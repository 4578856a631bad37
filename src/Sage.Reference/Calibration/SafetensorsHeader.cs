using System.Text.Json;

namespace Sage.Reference.Calibration;

/// <summary>One tensor of a safetensors header, validated: its bytes are [Begin, End) of the data buffer.</summary>
internal sealed record SafetensorsEntry(TensorInfo Info, long Count, long Begin, long End);

/// <summary>
/// The header of a safetensors file: an 8-byte little-endian length N, then N bytes of UTF-8 JSON mapping each
/// tensor name to {dtype, shape, data_offsets}, plus an optional "__metadata__" string map. The byte buffer that
/// follows must be covered exactly by the tensors' offsets: no overlap, no hole, nothing beyond the file.
/// System.Text.Json's JsonDocument keeps duplicate keys silently, so we walk the tokens with Utf8JsonReader and
/// reject every duplicate ourselves.
/// </summary>
internal sealed class SafetensorsHeader
{
    /// <summary>The reference implementation's limit; a larger header is hostile or broken.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private SafetensorsHeader(List<SafetensorsEntry> entries, Dictionary<string, string> metadata, long dataStart, long fileLength)
    {
        Entries = entries;
        Metadata = metadata;
        DataStart = dataStart;
        FileLength = fileLength;
    }

    /// <summary>Tensors in header order.</summary>
    public List<SafetensorsEntry> Entries { get; }
    public Dictionary<string, string> Metadata { get; }

    /// <summary>File offset of the data buffer.</summary>
    public long DataStart { get; }
    public long FileLength { get; }

    public static SafetensorsHeader Read(ByteSource source)
    {
        string file = source.Name;
        long fileLength = source.Length;
        if (fileLength < 8)
            throw new CalibrationFormatException(file, null, $"the file has {fileLength} bytes, fewer than the 8-byte safetensors header length");
        Span<byte> prefix = stackalloc byte[8];
        source.ReadExactly(0, prefix, null);
        ulong headerLength = BitConverter.ToUInt64(prefix);
        if (headerLength > (ulong)(fileLength - 8))
            throw new CalibrationFormatException(file, null,
                $"the header claims {headerLength} bytes but the file has only {fileLength - 8} after the length prefix");
        if (headerLength > MaxHeaderBytes)
            throw new CalibrationFormatException(file, null, $"the header claims {headerLength} bytes; more than {MaxHeaderBytes} is refused");
        if (headerLength < 2)
            throw new CalibrationFormatException(file, null, $"the header is {headerLength} bytes long; it must hold at least '{{}}'");

        var json = new byte[headerLength];
        source.ReadExactly(8, json, null);
        if (json[0] != (byte)'{')
            throw new CalibrationFormatException(file, null, $"the header must start with '{{' but starts with byte 0x{json[0]:X2}");

        var (entries, metadata) = Parse(json, file);
        long dataStart = 8 + (long)headerLength;
        CheckCoverage(entries, fileLength - dataStart, file);
        return new SafetensorsHeader(entries, metadata, dataStart, fileLength);
    }

    private static (List<SafetensorsEntry>, Dictionary<string, string>) Parse(byte[] json, string file)
    {
        var entries = new List<SafetensorsEntry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;
        try
        {
            var reader = new Utf8JsonReader(json, isFinalBlock: true,
                new JsonReaderState(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 8 }));
            Next(ref reader, JsonTokenType.StartObject, file, null, "the header");
            while (NextProperty(ref reader, file, null) is { } name)
            {
                current = name;
                if (!names.Add(name))
                    throw new CalibrationFormatException(file, name, "the name appears twice in the header");
                if (name == "__metadata__")
                    ReadMetadata(ref reader, metadata, file);
                else
                    entries.Add(ReadEntry(ref reader, name, file));
                current = null;
            }
            if (reader.Read())
                throw new CalibrationFormatException(file, null, "the header holds more JSON after its closing '}'");
        }
        catch (JsonException e)
        {
            throw new CalibrationFormatException(file, current, $"the header is not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // Utf8JsonReader throws this for strings that are not valid UTF-8.
            throw new CalibrationFormatException(file, current, $"the header is not valid JSON: {e.Message}", e);
        }
        return (entries, metadata);
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, Dictionary<string, string> metadata, string file)
    {
        Next(ref reader, JsonTokenType.StartObject, file, null, "__metadata__");
        while (NextProperty(ref reader, file, null) is { } key)
        {
            Next(ref reader, JsonTokenType.String, file, null, $"__metadata__ value of '{key}'");
            if (!metadata.TryAdd(key, reader.GetString()!))
                throw new CalibrationFormatException(file, null, $"__metadata__ key '{key}' appears twice");
        }
    }

    private static SafetensorsEntry ReadEntry(ref Utf8JsonReader reader, string name, string file)
    {
        if (name.Length == 0)
            throw new CalibrationFormatException(file, name, "a tensor has an empty name");
        Next(ref reader, JsonTokenType.StartObject, file, name, "the tensor entry");
        string? dtype = null;
        List<long>? shape = null, offsets = null;
        while (NextProperty(ref reader, file, name) is { } key)
        {
            switch (key)
            {
                case "dtype" when dtype is null:
                    Next(ref reader, JsonTokenType.String, file, name, "dtype");
                    dtype = reader.GetString()!;
                    break;
                case "shape" when shape is null:
                    shape = ReadIntegers(ref reader, file, name, "shape");
                    break;
                case "data_offsets" when offsets is null:
                    offsets = ReadIntegers(ref reader, file, name, "data_offsets");
                    break;
                case "dtype" or "shape" or "data_offsets":
                    throw new CalibrationFormatException(file, name, $"key '{key}' appears twice in the tensor entry");
                default:
                    throw new CalibrationFormatException(file, name, $"unexpected key '{key}' (expected dtype, shape and data_offsets)");
            }
        }
        if (dtype is null || shape is null || offsets is null)
            throw new CalibrationFormatException(file, name,
                $"the entry has no '{(dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets")}'");

        var type = ParseDtype(dtype, file, name);
        var (dims, count) = TensorGeometry.CheckShape(shape, file, name);
        if (offsets.Count != 2)
            throw new CalibrationFormatException(file, name, $"data_offsets has {offsets.Count} entries; expected [begin, end]");
        long begin = offsets[0], end = offsets[1];
        if (begin < 0 || end < begin)
            throw new CalibrationFormatException(file, name, $"data_offsets [{begin}, {end}] is not a range [begin, end] with 0 <= begin <= end");
        long bytes = count * type.SizeInBytes();
        if (end - begin != bytes)
            throw new CalibrationFormatException(file, name,
                $"shape {TensorGeometry.Format(dims)} of {dtype} needs {bytes} bytes but data_offsets [{begin}, {end}] span {end - begin}");
        return new SafetensorsEntry(new TensorInfo(name, type, dims), count, begin, end);
    }

    /// <summary>The spec: the buffer is "entirely indexed" and "cannot contain holes"; tensors do not overlap.</summary>
    private static void CheckCoverage(List<SafetensorsEntry> entries, long bufferLength, string file)
    {
        foreach (var e in entries)
        {
            if (e.End > bufferLength)
                throw new CalibrationFormatException(file, e.Info.Name,
                    $"data_offsets [{e.Begin}, {e.End}] reach beyond the {bufferLength}-byte data buffer (truncated file?)");
        }
        long covered = 0;
        SafetensorsEntry? previous = null;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin < covered)
                throw new CalibrationFormatException(file, e.Info.Name,
                    $"data_offsets [{e.Begin}, {e.End}] overlap tensor '{previous!.Info.Name}' [{previous.Begin}, {previous.End}]");
            if (e.Begin > covered)
                throw new CalibrationFormatException(file, e.Info.Name,
                    $"data_offsets [{e.Begin}, {e.End}] leave bytes [{covered}, {e.Begin}) of the data buffer unused");
            covered = e.End;
            previous = e;
        }
        if (covered != bufferLength)
            throw new CalibrationFormatException(file, null,
                $"the tensors cover {covered} bytes but the data buffer holds {bufferLength}: {bufferLength - covered} unexplained trailing bytes");
    }

    private static StoredElementType ParseDtype(string dtype, string file, string name) => dtype switch
    {
        "F16" => StoredElementType.Float16,
        "BF16" => StoredElementType.BFloat16,
        "F32" => StoredElementType.Float32,
        "F8_E4M3" => StoredElementType.Float8E4M3,
        "I8" => StoredElementType.Int8,
        _ => throw new CalibrationFormatException(file, name, $"dtype '{dtype}' is not supported; expected F16, BF16, F32, F8_E4M3 or I8"),
    };

    public static string DtypeName(StoredElementType type) => type switch
    {
        StoredElementType.Float16 => "F16",
        StoredElementType.BFloat16 => "BF16",
        StoredElementType.Float32 => "F32",
        StoredElementType.Float8E4M3 => "F8_E4M3",
        StoredElementType.Int8 => "I8",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown stored element type."),
    };

    private static List<long> ReadIntegers(ref Utf8JsonReader reader, string file, string name, string what)
    {
        Next(ref reader, JsonTokenType.StartArray, file, name, what);
        var values = new List<long>();
        while (true)
        {
            if (!reader.Read()) throw new CalibrationFormatException(file, name, $"{what} ends early");
            if (reader.TokenType == JsonTokenType.EndArray) return values;
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long v))
                throw new CalibrationFormatException(file, name, $"{what} holds a value that is not an integer in the signed 64-bit range");
            if (values.Count > TensorGeometry.MaxRank)
                throw new CalibrationFormatException(file, name, $"{what} has more than {TensorGeometry.MaxRank} entries");
            values.Add(v);
        }
    }

    /// <summary>Next property name of the current object, or null at its end.</summary>
    private static string? NextProperty(ref Utf8JsonReader reader, string file, string? tensor)
    {
        if (!reader.Read()) throw new CalibrationFormatException(file, tensor, "the header ends inside an object");
        return reader.TokenType switch
        {
            JsonTokenType.EndObject => null,
            JsonTokenType.PropertyName => reader.GetString()!,
            _ => throw new CalibrationFormatException(file, tensor, $"unexpected {reader.TokenType} where a key was expected"),
        };
    }

    private static void Next(ref Utf8JsonReader reader, JsonTokenType expected, string file, string? tensor, string what)
    {
        if (!reader.Read()) throw new CalibrationFormatException(file, tensor, $"the header ends before {what}");
        if (reader.TokenType != expected)
            throw new CalibrationFormatException(file, tensor, $"{what} is a JSON {reader.TokenType}; expected {expected}");
    }
}
