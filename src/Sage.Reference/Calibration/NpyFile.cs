namespace Sage.Reference.Calibration;

/// <summary>
/// Strict reader and writer of NumPy .npy files: format 1.0, 2.0 and 3.0 headers; dtypes '&lt;f2' (float16),
/// '&lt;f4' (float32) and '|i1' or '&lt;i1' (int8); little-endian, C order. Anything else, and any file whose
/// length is not exactly header plus data, is a <see cref="CalibrationFormatException"/>.
/// </summary>
public static class NpyFile
{
    /// <summary>Reads the header only: type and shape, validated against the file length.</summary>
    public static TensorInfo ReadInfo(string path, string? name = null)
    {
        using var source = ByteSource.OpenFile(path);
        var header = NpyHeader.Read(source, name ??= DefaultName(path));
        return new TensorInfo(name, header.ElementType, header.Shape);
    }

    /// <summary>Reads a whole file. The tensor is named <paramref name="name"/>, or after the file without its extension.</summary>
    public static StoredTensor Read(string path, string? name = null)
    {
        using var source = ByteSource.OpenFile(path);
        return Read(source, name ?? DefaultName(path));
    }

    /// <summary>Reads a file held in memory; <paramref name="fileName"/> names it in errors.</summary>
    public static StoredTensor Parse(ReadOnlyMemory<byte> content, string fileName = "<memory>.npy", string? name = null)
    {
        using var source = ByteSource.FromMemory(content, fileName);
        return Read(source, name ?? DefaultName(fileName));
    }

    /// <summary>Reads a file straight into a host tensor (int8 widened to Float32), without a raw copy.</summary>
    public static HostTensor ReadHostTensor(string path, string? name = null)
    {
        using var source = ByteSource.OpenFile(path);
        return ReadHostTensor(source, name ?? DefaultName(path));
    }

    internal static HostTensor ReadHostTensor(ByteSource source, string name)
    {
        var header = NpyHeader.Read(source, name);
        return HostTensorDecoder.Read(source, header.DataOffset, header.ElementType, header.Shape, header.Count, name);
    }

    private static StoredTensor Read(ByteSource source, string name)
    {
        var header = NpyHeader.Read(source, name);
        // The header was checked against the file length, so this allocation is backed by real bytes.
        var data = new byte[header.Count * header.ElementType.SizeInBytes()];
        source.ReadExactly(header.DataOffset, data, name);
        return new StoredTensor(name, header.ElementType, header.Shape, data);
    }

    /// <summary>
    /// Writes <paramref name="tensor"/> as numpy.save does. <paramref name="formatVersion"/> 1, 2 or 3; null picks
    /// 1.0, as numpy does. BF16 and FP8 tensors have no NumPy dtype and are refused.
    /// </summary>
    public static void Write(string path, StoredTensor tensor, int? formatVersion = null)
    {
        var header = Header(tensor, formatVersion);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        stream.Write(header);
        stream.Write(tensor.Bytes);
    }

    /// <summary>The bytes <see cref="Write"/> would write.</summary>
    public static byte[] Serialize(StoredTensor tensor, int? formatVersion = null)
    {
        var header = Header(tensor, formatVersion);
        var bytes = new byte[header.Length + tensor.Bytes.Length];
        header.CopyTo(bytes, 0);
        tensor.Bytes.CopyTo(bytes.AsSpan(header.Length));
        return bytes;
    }

    private static byte[] Header(StoredTensor tensor, int? formatVersion)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (formatVersion is { } v && v is < 1 or > 3)
            throw new ArgumentOutOfRangeException(nameof(formatVersion), v, "The .npy format version must be 1, 2 or 3.");
        if (tensor.Shape.Count > TensorGeometry.MaxRank)
            throw new ArgumentException($"Tensor '{tensor.Name}' has {tensor.Shape.Count} dimensions; .npy files hold at most {TensorGeometry.MaxRank}.", nameof(tensor));
        // With at most 64 dimensions the header stays far below version 1.0's 64 KiB limit.
        return NpyHeader.Format(tensor.ElementType, tensor.Shape, formatVersion ?? 1);
    }

    private static string DefaultName(string path) => Path.GetFileNameWithoutExtension(path);
}
