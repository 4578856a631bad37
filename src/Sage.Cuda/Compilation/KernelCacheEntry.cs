using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Sage.Cuda;

/// <summary>
/// The on-disk format of one cache entry. A fixed header, then the image:
/// <code>
///   offset  size  field
///   0       8     magic "SAGEKC01"
///   8       4     format version (1), little-endian
///   12      4     image kind (1 cubin, 2 PTX)
///   16      8     image length in bytes
///   24      32    the cache key the entry was written for (raw SHA-256)
///   56      32    SHA-256 of bytes 0..55 followed by the image
///   88      n     the image
/// </code>
/// The checksum covers the header too, so a flipped bit anywhere, a truncated file, a file renamed to
/// another key or one of another format is rejected (and then deleted and rebuilt), never loaded.
/// </summary>
internal static class KernelCacheEntry
{
    public const int HeaderLength = 88;
    private const int Version = 1;
    private static ReadOnlySpan<byte> Magic => "SAGEKC01"u8;

    public static byte[] Encode(string key, KernelImageKind kind, ReadOnlySpan<byte> image)
    {
        byte[] keyBytes = ParseKey(key);
        var entry = new byte[HeaderLength + image.Length];
        Magic.CopyTo(entry);
        BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(8), Version);
        BinaryPrimitives.WriteInt32LittleEndian(entry.AsSpan(12), (int)kind);
        BinaryPrimitives.WriteInt64LittleEndian(entry.AsSpan(16), image.Length);
        keyBytes.CopyTo(entry.AsSpan(24));
        image.CopyTo(entry.AsSpan(HeaderLength));
        Checksum(entry.AsSpan(0, 56), image).CopyTo(entry.AsSpan(56));
        return entry;
    }

    /// <summary>Decodes an entry written for <paramref name="key"/>; on rejection says why.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> entry, string key, out KernelImageKind kind, out byte[] image, out string rejection)
    {
        kind = default;
        image = [];
        if (entry.Length < HeaderLength)
        {
            rejection = $"entry has {entry.Length} bytes, shorter than its {HeaderLength}-byte header";
            return false;
        }
        if (!entry[..8].SequenceEqual(Magic))
        {
            rejection = $"bad magic {Encoding.ASCII.GetString(entry[..8])}";
            return false;
        }
        int version = BinaryPrimitives.ReadInt32LittleEndian(entry[8..]);
        if (version != Version)
        {
            rejection = $"format version {version}, expected {Version}";
            return false;
        }
        int rawKind = BinaryPrimitives.ReadInt32LittleEndian(entry[12..]);
        long length = BinaryPrimitives.ReadInt64LittleEndian(entry[16..]);
        if (length != entry.Length - HeaderLength)
        {
            rejection = $"header says {length} image bytes but {entry.Length - HeaderLength} follow";
            return false;
        }
        if (!entry.Slice(24, 32).SequenceEqual(ParseKey(key)))
        {
            rejection = "entry was written for another key";
            return false;
        }
        var body = entry[HeaderLength..];
        if (!entry.Slice(56, 32).SequenceEqual(Checksum(entry[..56], body)))
        {
            rejection = "checksum mismatch";
            return false;
        }
        if (rawKind is not ((int)KernelImageKind.Cubin or (int)KernelImageKind.Ptx))
        {
            rejection = $"unknown image kind {rawKind}";
            return false;
        }
        kind = (KernelImageKind)rawKind;
        image = body.ToArray();
        rejection = "";
        return true;
    }

    private static byte[] Checksum(ReadOnlySpan<byte> header, ReadOnlySpan<byte> image)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(header);
        hash.AppendData(image);
        return hash.GetHashAndReset();
    }

    private static byte[] ParseKey(string key)
    {
        if (key.Length != 64 || !key.All(char.IsAsciiHexDigit))
            throw new ArgumentException($"cache key must be 64 hex digits (a SHA-256), got '{key}'", nameof(key));
        return Convert.FromHexString(key);
    }
}
