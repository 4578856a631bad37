using System.Text;
using System.Text.RegularExpressions;
using FsCheck.Xunit;
using Sage.Reference.Calibration;
using Xunit;

namespace Sage.Property.Tests.Calibration;

/// <summary>
/// Corrupted files, generated: every read returns exactly the written values or throws CalibrationFormatException
/// naming the file, never another exception and never different values. Corruptions that can only produce an
/// invalid file (truncation, appended bytes, inflated header length, a bumped shape, a duplicate key) must be rejected.
/// </summary>
public class CorruptionProperties
{
    private const string St = "c.safetensors", Npy = "c.npy";

    private static (List<StoredTensor> Tensors, byte[] Bytes) ValidSafetensors(Random rng, int minDim = 0)
    {
        var tensors = CalibrationBytes.RandomTensors(rng, minDim).DistinctBy(t => t.Name).ToList();
        var metadata = rng.Next(2) == 0 ? null : new Dictionary<string, string> { ["format"] = "pt" };
        return (tensors, SafetensorsFile.Serialize(tensors, metadata));
    }

    private static (StoredTensor Tensor, byte[] Bytes) ValidNpy(Random rng, int minDim = 0)
    {
        var t = CalibrationBytes.RandomTensor(rng, "c", CalibrationBytes.NpyTypes[rng.Next(3)], minDim);
        return (t, NpyFile.Serialize(t, rng.Next(1, 4)));
    }

    /// <summary>Exactly the written tensors, except that a single-byte header change may rename at most one of them.</summary>
    private static Action<List<(StoredTensor Raw, HostTensor Host)>> Exactly(List<StoredTensor> expected, bool oneRenameAllowed = false) => actual =>
    {
        Assert.Equal(expected.Count, actual.Count);
        int renamed = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            if (expected[i].Name != actual[i].Raw.Name) renamed++;
            CalibrationBytes.AssertSameTensor(expected[i], actual[i].Raw, compareNames: false);
            CalibrationBytes.AssertHostTensorHolds(expected[i], actual[i].Host);
        }
        Assert.True(renamed <= (oneRenameAllowed ? 1 : 0), $"{renamed} tensors came back renamed.");
    };

    private static Action<(StoredTensor Raw, HostTensor Host)> Exactly(StoredTensor expected) => actual =>
    {
        CalibrationBytes.AssertSameTensor(expected, actual.Raw);
        CalibrationBytes.AssertHostTensorHolds(expected, actual.Host);
    };

    private static bool ReadSt(byte[] bytes, List<StoredTensor> expected, bool oneRenameAllowed = false) =>
        CalibrationBytes.ReadsExactlyOrRejects(() => CalibrationBytes.ReadSafetensors(bytes, St), Exactly(expected, oneRenameAllowed), St);

    private static bool ReadNpy(byte[] bytes, StoredTensor expected) =>
        CalibrationBytes.ReadsExactlyOrRejects(() => CalibrationBytes.ReadNpy(bytes, Npy), Exactly(expected), Npy);

    [Property(MaxTest = 25)]
    public void TruncationAtEveryPositionIsRejected(int seed)
    {
        var rng = new Random(seed);
        var (tensors, st) = ValidSafetensors(rng);
        for (int length = 0; length < st.Length; length++)
            Assert.True(ReadSt(st[..length], tensors), $"safetensors truncated to {length} of {st.Length} bytes was accepted");
        var (tensor, npy) = ValidNpy(rng);
        for (int length = 0; length < npy.Length; length++)
            Assert.True(ReadNpy(npy[..length], tensor), $".npy truncated to {length} of {npy.Length} bytes was accepted");
    }

    [Property(MaxTest = 100)]
    public void AppendedBytesAreRejected(int seed, byte count)
    {
        var rng = new Random(seed);
        var extra = new byte[count % 16 + 1];
        rng.NextBytes(extra);
        var (tensors, st) = ValidSafetensors(rng);
        Assert.True(ReadSt([.. st, .. extra], tensors));
        var (tensor, npy) = ValidNpy(rng);
        Assert.True(ReadNpy([.. npy, .. extra], tensor));
    }

    /// <summary>Every single-bit flip of every header byte (length prefix included). Shapes have no zero dimension
    /// here, since with one a flipped dimension would describe another valid, empty tensor.</summary>
    [Property(MaxTest = 12)]
    public void HeaderBitFlipsReadExactlyOrAreRejected(int seed)
    {
        var rng = new Random(seed);
        var (tensors, st) = ValidSafetensors(rng, minDim: 1);
        int end = CalibrationBytes.SafetensorsHeaderEnd(st);
        for (int i = 0; i < end; i++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                var copy = (byte[])st.Clone();
                copy[i] ^= (byte)(1 << bit);
                ReadSt(copy, tensors, oneRenameAllowed: i >= 8);
            }
        }
        var (tensor, npy) = ValidNpy(rng, minDim: 1);
        for (int i = 0; i < CalibrationBytes.NpyHeaderEnd(npy); i++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                var copy = (byte[])npy.Clone();
                copy[i] ^= (byte)(1 << bit);
                ReadNpy(copy, tensor);
            }
        }
    }

    [Property(MaxTest = 300)]
    public void HeaderByteOverwritesReadExactlyOrAreRejected(int seed, byte value, int position)
    {
        var rng = new Random(seed);
        var (tensors, st) = ValidSafetensors(rng, minDim: 1);
        var copy = (byte[])st.Clone();
        int i = (int)((uint)position % CalibrationBytes.SafetensorsHeaderEnd(st));
        copy[i] = value;
        ReadSt(copy, tensors, oneRenameAllowed: i >= 8);

        var (tensor, npy) = ValidNpy(rng, minDim: 1);
        copy = (byte[])npy.Clone();
        copy[(int)((uint)position % CalibrationBytes.NpyHeaderEnd(npy))] = value;
        ReadNpy(copy, tensor);
    }

    [Property(MaxTest = 200)]
    public void InflatedHeaderLengthsAreRejected(int seed, ulong delta, byte shift)
    {
        var rng = new Random(seed);
        var (tensors, st) = ValidSafetensors(rng);
        ulong length = BitConverter.ToUInt64(st, 0);
        ulong inflated = shift % 3 switch
        {
            0 => length + 1 + delta % 64,
            1 => length + Math.Max(1, delta),
            _ => 1UL << (shift % 64),
        };
        if (inflated <= length) inflated = ulong.MaxValue;
        var copy = (byte[])st.Clone();
        BitConverter.TryWriteBytes(copy.AsSpan(0, 8), inflated);
        Assert.True(ReadSt(copy, tensors), $"header length {inflated} (really {length}) was accepted");

        var (tensor, npy) = ValidNpy(rng);
        copy = (byte[])npy.Clone();
        if (copy[6] == 1)
        {
            ushort real = BitConverter.ToUInt16(copy, 8);
            BitConverter.TryWriteBytes(copy.AsSpan(8, 2), (ushort)Math.Min(ushort.MaxValue, real + 1 + (int)(delta % 200)));
        }
        else
        {
            uint real = BitConverter.ToUInt32(copy, 8);
            BitConverter.TryWriteBytes(copy.AsSpan(8, 4), (uint)Math.Min(uint.MaxValue, real + 1 + delta % 100_000));
        }
        Assert.True(ReadNpy(copy, tensor));
    }

    private static readonly Regex ShapeJson = new("\"shape\":\\[([0-9,]*)\\]");
    private static readonly Regex ShapeNpy = new("'shape': \\(([0-9, ]*)\\)");

    /// <summary>Any change of one shape entry (or an extra dimension) breaks shape product = byte count.</summary>
    [Property(MaxTest = 300)]
    public void BumpedShapesAreRejected(int seed, sbyte bump)
    {
        if (bump == 0) bump = 1;
        var rng = new Random(seed);
        var (tensors, st) = ValidSafetensors(rng, minDim: 1);
        if (tensors.Count > 0)
        {
            var (json, data) = SplitSafetensors(st);
            var matches = ShapeJson.Matches(json);
            var m = matches[rng.Next(matches.Count)];
            json = json[..m.Groups[1].Index] + Bump(m.Groups[1].Value, bump, rng, ",") + json[(m.Groups[1].Index + m.Groups[1].Length)..];
            Assert.True(ReadSt(CalibrationBytes.Safetensors(json, data), tensors), $"bumped header accepted: {json}");
        }

        var (tensor, npy) = ValidNpy(rng, minDim: 1);
        string header = Encoding.ASCII.GetString(npy, 0, CalibrationBytes.NpyHeaderEnd(npy));
        var n = ShapeNpy.Match(header);
        string dict = header[header.IndexOf('{')..].TrimEnd();
        string shapeText = n.Groups[1].Value;
        string bumped = Bump(shapeText.Replace(" ", "").TrimEnd(','), bump, rng, ", ");
        dict = dict.Replace(n.Value, $"'shape': ({bumped}{(bumped.Contains(',') ? "" : ",")})");
        var file = CalibrationBytes.Npy(dict, npy.AsSpan(CalibrationBytes.NpyHeaderEnd(npy)), npy[6]);
        Assert.True(ReadNpy(file, tensor), $"bumped header accepted: {dict}");
    }

    private static string Bump(string csv, sbyte bump, Random rng, string separator)
    {
        var dims = csv.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToList();
        if (dims.Count == 0 || rng.Next(4) == 0) dims.Insert(rng.Next(dims.Count + 1), 2 + Math.Abs((int)bump)); // a scalar or a new axis
        else
        {
            int i = rng.Next(dims.Count);
            dims[i] += bump; // bump is never 0 and every other dimension is positive: the product changes
        }
        return string.Join(separator, dims);
    }

    private static (string Json, byte[] Data) SplitSafetensors(byte[] file)
    {
        int end = CalibrationBytes.SafetensorsHeaderEnd(file);
        return (Encoding.UTF8.GetString(file, 8, end - 8).TrimEnd(' '), file[end..]);
    }

    private static readonly Regex EntryJson = new("\"([^\"]+)\":\\{\"dtype\":\"[^\"]+\",\"shape\":\\[[0-9,]*\\],\"data_offsets\":\\[[0-9]+,[0-9]+\\]\\}");

    [Property(MaxTest = 300)]
    public void DuplicateKeysAreRejected(int seed)
    {
        var rng = new Random(seed);
        var (tensors, st) = ValidSafetensors(rng, minDim: 1);
        var (json, data) = SplitSafetensors(st);
        var entries = EntryJson.Matches(json);
        int kind = entries.Count == 0 ? rng.Next(2) : rng.Next(5);
        // A duplicated entry gets its own bytes at the end of the buffer, so that only the duplicate name is wrong.
        string Relocated(Match entry, string name)
        {
            var offsets = Regex.Match(entry.Value, "\"data_offsets\":\\[([0-9]+),([0-9]+)\\]");
            long size = long.Parse(offsets.Groups[2].Value) - long.Parse(offsets.Groups[1].Value);
            string moved = entry.Value.Replace(offsets.Value, $"\"data_offsets\":[{data.Length},{data.Length + size}]")
                .Replace($"\"{entry.Groups[1].Value}\":", $"\"{name}\":");
            data = [.. data, .. new byte[size]];
            return json[..^1] + "," + moved + "}";
        }
        string dup = kind switch
        {
            0 => json[..^1] + (json.Length > 2 ? "," : "") + "\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}",
            1 => json.Insert(1, "\"__metadata__\":{},\"__metadata__\":{}" + (json.Length > 2 ? "," : "")),
            2 => Relocated(entries[rng.Next(entries.Count)], entries[0].Groups[1].Value),
            3 => Relocated(entries[0], Escaped(entries[0].Groups[1].Value)),
            _ => DuplicateField(json, entries[rng.Next(entries.Count)], rng),
        };
        Assert.True(ReadSt(CalibrationBytes.Safetensors(dup, data), tensors), $"duplicate accepted: {dup}");

        var (tensor, npy) = ValidNpy(rng);
        string header = Encoding.ASCII.GetString(npy, 0, CalibrationBytes.NpyHeaderEnd(npy));
        string dict = header[header.IndexOf('{')..].TrimEnd();
        string[] keys = ["'descr': '<f4', ", "'fortran_order': False, ", "'shape': (1,), ", "\"shape\": (), "];
        string npyDup = dict.Insert(1 + rng.Next(2) * (dict.Length - 3), keys[rng.Next(keys.Length)]);
        Assert.True(ReadNpy(CalibrationBytes.Npy(npyDup, npy.AsSpan(CalibrationBytes.NpyHeaderEnd(npy)), npy[6]), tensor), $"duplicate accepted: {npyDup}");
    }

    /// <summary>The same name spelled with a JSON escape is still the same name.</summary>
    private static string Escaped(string name) => $"\\u{(int)name[0]:x4}" + name[1..];

    private static string DuplicateField(string json, Match entry, Random rng)
    {
        string[] fields = ["\"dtype\":\"F32\",", "\"shape\":[1],", "\"data_offsets\":[0,0],"];
        string copy = entry.Value.Replace(":{\"dtype\"", ":{" + fields[rng.Next(3)] + "\"dtype\"");
        return json.Replace(entry.Value, copy);
    }

    [Property(MaxTest = 500)]
    public void ArbitraryBytesReadOrAreRejected(byte[] bytes, bool withNpyMagic, bool withLengthPrefix)
    {
        // Give random bytes a valid start now and then, so that the header parsers see them too.
        byte[] npy = withNpyMagic ? [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)bytes.Length, 0, .. bytes] : bytes;
        CalibrationBytes.ReadsExactlyOrRejects(() => CalibrationBytes.ReadNpy(npy, Npy), _ => { }, Npy);
        byte[] st = withLengthPrefix ? [.. BitConverter.GetBytes((ulong)bytes.Length), .. bytes] : bytes;
        CalibrationBytes.ReadsExactlyOrRejects(() => CalibrationBytes.ReadSafetensors(st, St), _ => { }, St);
    }

    [Property(MaxTest = 500)]
    public void ArbitraryHeaderTextReadsOrIsRejected(string text, byte[] data)
    {
        text ??= "";
        data ??= [];
        var st = CalibrationBytes.Safetensors("{" + text, data);
        CalibrationBytes.ReadsExactlyOrRejects(() => CalibrationBytes.ReadSafetensors(st, St), _ => { }, St);
        var npy = CalibrationBytes.Npy("{" + text, data);
        CalibrationBytes.ReadsExactlyOrRejects(() => CalibrationBytes.ReadNpy(npy, Npy), _ => { }, Npy);
    }
}
