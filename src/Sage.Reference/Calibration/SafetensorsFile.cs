using System.Buffers;
using System.Text.Json;

namespace Sage.Reference.Calibration;

/// <summary>
/// A strictly validated safetensors file (dtypes F16, BF16, F32, F8_E4M3, I8). <see cref="Open"/> reads and checks
/// only the header, against the file length, so a bad file fails before any tensor is read and a many-gigabyte
/// file costs nothing until a tensor is asked for.
/// </summary>
public sealed class SafetensorsFile
{
    private readonly string? _path;
    private readonly ReadOnlyMemory<byte> _content;
    private readonly SafetensorsHeader _header;
    private readonly Dictionary<string, SafetensorsEntry> _byName;

    private SafetensorsFile(string fileName, string? path, ReadOnlyMemory<byte> content, SafetensorsHeader header)
    {
        FileName = fileName;
        _path = path;
        _content = content;
        _header = header;
        _byName = header.Entries.ToDictionary(e => e.Info.Name, StringComparer.Ordinal);
        Tensors = header.Entries.Select(e => e.Info).ToArray();
    }

    /// <summary>The file name used in errors.</summary>
    public string FileName { get; }

    /// <summary>Every tensor, in header order.</summary>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>The "__metadata__" map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _header.Metadata;

    public static SafetensorsFile Open(string path)
    {
        using var source = ByteSource.OpenFile(path);
        return new SafetensorsFile(path, path, default, SafetensorsHeader.Read(source));
    }

    /// <summary>A file held in memory (not copied); <paramref name="fileName"/> names it in errors.</summary>
    public static SafetensorsFile Parse(ReadOnlyMemory<byte> content, string fileName = "<memory>.safetensors")
    {
        using var source = ByteSource.FromMemory(content, fileName);
        return new SafetensorsFile(fileName, null, content, SafetensorsHeader.Read(source));
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    public TensorInfo GetInfo(string name) => Entry(name).Info;

    /// <summary>The tensor's raw bytes (the typed raw accessor for FP8 and INT8).</summary>
    public StoredTensor ReadTensor(string name)
    {
        var e = Entry(name);
        var data = new byte[e.End - e.Begin];
        using (var source = OpenSource()) source.ReadExactly(_header.DataStart + e.Begin, data, name);
        return new StoredTensor(name, e.Info.ElementType, e.Info.Shape.ToArray(), data);
    }

    /// <summary>The tensor as a host tensor, read straight into its array (FP8 and INT8 widened to Float32).</summary>
    public HostTensor ReadHostTensor(string name)
    {
        var e = Entry(name);
        using var source = OpenSource();
        return HostTensorDecoder.Read(source, _header.DataStart + e.Begin, e.Info.ElementType, e.Info.Shape.ToArray(), e.Count, name);
    }

    /// <summary>Every tensor, in header order.</summary>
    public IReadOnlyList<StoredTensor> ReadAll() => Tensors.Select(t => ReadTensor(t.Name)).ToArray();

    private SafetensorsEntry Entry(string name) =>
        _byName.TryGetValue(name, out var e) ? e
        : throw new ArgumentException($"{FileName} holds no tensor '{name}'.", nameof(name));

    private ByteSource OpenSource()
    {
        var source = _path is null ? ByteSource.FromMemory(_content, FileName) : ByteSource.OpenFile(_path);
        if (source.Length != _header.FileLength)
        {
            long length = source.Length;
            source.Dispose();
            throw new CalibrationFormatException(FileName, null, $"the file changed since it was opened ({_header.FileLength} bytes then, {length} now)");
        }
        return source;
    }

    /// <summary>Writes tensors (in the given order) and optional metadata as a safetensors file, streaming the data.</summary>
    public static void Write(string path, IEnumerable<StoredTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = CheckedList(tensors);
        var header = Header(list, metadata);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        stream.Write(header);
        foreach (var t in list) stream.Write(t.Bytes);
    }

    /// <summary>The bytes <see cref="Write"/> would write; the header is space-padded to a multiple of 8 bytes.</summary>
    public static byte[] Serialize(IEnumerable<StoredTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = CheckedList(tensors);
        var header = Header(list, metadata);
        var bytes = new byte[header.Length + list.Sum(t => (long)t.Bytes.Length)];
        header.CopyTo(bytes, 0);
        int at = header.Length;
        foreach (var t in list)
        {
            t.Bytes.CopyTo(bytes.AsSpan(at));
            at += t.Bytes.Length;
        }
        return bytes;
    }

    private static List<StoredTensor> CheckedList(IEnumerable<StoredTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in list)
        {
            if (t.Name == "__metadata__" || !names.Add(t.Name))
                throw new ArgumentException($"Tensor name '{t.Name}' is used twice or reserved.", nameof(tensors));
            if (t.Shape.Count > TensorGeometry.MaxRank)
                throw new ArgumentException($"Tensor '{t.Name}' has {t.Shape.Count} dimensions; readers accept at most {TensorGeometry.MaxRank}.", nameof(tensors));
        }
        return list;
    }

    /// <summary>The 8-byte length prefix and the JSON header, space-padded so that the data starts 8-byte aligned.</summary>
    private static byte[] Header(List<StoredTensor> list, IReadOnlyDictionary<string, string>? metadata)
    {
        var json = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata) writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in list)
            {
                writer.WriteStartObject(t.Name);
                writer.WriteString("dtype", SafetensorsHeader.DtypeName(t.ElementType));
                writer.WriteStartArray("shape");
                foreach (int d in t.Shape) writer.WriteNumberValue(d);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset += t.Bytes.Length);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        int padded = (json.WrittenCount + 7) / 8 * 8;
        var header = new byte[8 + padded];
        BitConverter.TryWriteBytes(header.AsSpan(0, 8), (ulong)padded);
        json.WrittenSpan.CopyTo(header.AsSpan(8));
        header.AsSpan(8 + json.WrittenCount).Fill((byte)' ');
        return header;
    }
}
