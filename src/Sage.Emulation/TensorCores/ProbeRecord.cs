using System.IO.Compression;

namespace Sage.Emulation.TensorCores;

/// <summary>What a recorded probe case is.</summary>
public enum ProbeRecordKind : byte
{
    /// <summary>A hand-built case (alignment bits, block size, how C enters, rounding, zeros, specials, FP16 overflow, subnormals).</summary>
    Targeted = 0,

    /// <summary>One of the first 512 random cases of a variant, recorded with its inputs to prove the generator twin.</summary>
    RandomHead = 1,
}

/// <summary>
/// One dot product recorded on the device: inputs and the hardware's output word. File format (little-endian,
/// records back to back): u8 variant index, u8 kind, u16 K, u32 C, u32 D, K bytes of A, K bytes of B.
/// </summary>
public sealed record ProbeRecord(int VariantIndex, ProbeRecordKind Kind, byte[] A, byte[] B, uint C, uint D)
{
    public ProbeVariant Variant => ProbeVariants.All[VariantIndex];

    /// <summary>Reads a record file, gzip-compressed when its name ends in .gz.</summary>
    public static IReadOnlyList<ProbeRecord> ReadFile(string path)
    {
        using var file = File.OpenRead(path);
        using Stream s = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return Parse(ms.ToArray());
    }

    public static IReadOnlyList<ProbeRecord> Parse(ReadOnlySpan<byte> data)
    {
        var list = new List<ProbeRecord>();
        int pos = 0;
        while (pos < data.Length)
        {
            if (pos + 12 > data.Length) throw new InvalidDataException($"truncated record header at byte {pos} of {data.Length}");
            int vi = data[pos], kind = data[pos + 1], k = data[pos + 2] | (data[pos + 3] << 8);
            if (vi >= ProbeVariants.All.Count) throw new InvalidDataException($"record at byte {pos}: variant index {vi} is unknown");
            if (k != ProbeVariants.All[vi].K) throw new InvalidDataException($"record at byte {pos}: K={k}, variant {ProbeVariants.All[vi].Name} has K={ProbeVariants.All[vi].K}");
            if (pos + 12 + 2 * k > data.Length) throw new InvalidDataException($"truncated record at byte {pos}");
            uint c = BitConverter.ToUInt32(data.Slice(pos + 4, 4)), d = BitConverter.ToUInt32(data.Slice(pos + 8, 4));
            list.Add(new ProbeRecord(vi, (ProbeRecordKind)kind, data.Slice(pos + 12, k).ToArray(), data.Slice(pos + 12 + k, k).ToArray(), c, d));
            pos += 12 + 2 * k;
        }
        return list;
    }

    /// <summary>Writes records in the same format (uncompressed).</summary>
    public static void Write(Stream stream, IEnumerable<ProbeRecord> records)
    {
        Span<byte> h = stackalloc byte[12];
        foreach (var r in records)
        {
            h[0] = (byte)r.VariantIndex; h[1] = (byte)r.Kind; h[2] = (byte)(r.A.Length & 0xFF); h[3] = (byte)(r.A.Length >> 8);
            BitConverter.TryWriteBytes(h.Slice(4), r.C);
            BitConverter.TryWriteBytes(h.Slice(8), r.D);
            stream.Write(h);
            stream.Write(r.A);
            stream.Write(r.B);
        }
    }
}
