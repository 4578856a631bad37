using System.Runtime.InteropServices;
using System.Text;
using Sage.Numerics;
using Sage.Reference.Calibration;
using Xunit;

namespace Sage.Property.Tests.Calibration;

/// <summary>Builders of valid and hostile calibration files, random tensors, and the "exact values or a clean rejection" oracle.</summary>
internal static class CalibrationBytes
{
    public static readonly StoredElementType[] AllTypes = Enum.GetValues<StoredElementType>();
    public static readonly StoredElementType[] NpyTypes = [StoredElementType.Float16, StoredElementType.Float32, StoredElementType.Int8];

    /// <summary>A .npy file from a literal header dict, padded as numpy pads it, with an optional forged header length.</summary>
    public static byte[] Npy(string dict, ReadOnlySpan<byte> data, int major = 1, long? claimedHeaderLength = null)
    {
        int preamble = major == 1 ? 10 : 12;
        int total = (preamble + dict.Length + 1 + 63) / 64 * 64;
        string header = dict.PadRight(total - preamble - 1) + "\n";
        var bytes = new byte[total + data.Length];
        byte[] magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
        magic.CopyTo(bytes, 0);
        bytes[6] = (byte)major;
        long length = claimedHeaderLength ?? header.Length;
        if (major == 1) BitConverter.TryWriteBytes(bytes.AsSpan(8, 2), (ushort)length);
        else BitConverter.TryWriteBytes(bytes.AsSpan(8, 4), (uint)length);
        Encoding.Latin1.GetBytes(header, bytes.AsSpan(preamble));
        data.CopyTo(bytes.AsSpan(total));
        return bytes;
    }

    /// <summary>A safetensors file from a literal JSON header (space-padded to 8 bytes) and a data buffer.</summary>
    public static byte[] Safetensors(string json, ReadOnlySpan<byte> data, ulong? claimedHeaderLength = null)
    {
        var header = Encoding.UTF8.GetBytes(json);
        int padded = (header.Length + 7) / 8 * 8;
        var bytes = new byte[8 + padded + data.Length];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), claimedHeaderLength ?? (ulong)padded);
        header.CopyTo(bytes, 8);
        bytes.AsSpan(8 + header.Length, padded - header.Length).Fill((byte)' ');
        data.CopyTo(bytes.AsSpan(8 + padded));
        return bytes;
    }

    /// <summary>Byte length of a safetensors file's header region (length prefix plus JSON).</summary>
    public static int SafetensorsHeaderEnd(byte[] file) => 8 + (int)BitConverter.ToUInt64(file, 0);

    /// <summary>Byte length of a .npy file's preamble plus header.</summary>
    public static int NpyHeaderEnd(byte[] file) =>
        file[6] == 1 ? 10 + BitConverter.ToUInt16(file, 8) : 12 + (int)BitConverter.ToUInt32(file, 8);

    public static StoredTensor RandomTensor(Random rng, string name, StoredElementType type, int minDim = 0, int maxRank = 4)
    {
        int rank = rng.Next(0, maxRank + 1);
        var shape = new int[rank];
        for (int i = 0; i < rank; i++) shape[i] = rng.Next(minDim, 5);
        long count = shape.Aggregate(1L, (p, d) => p * d);
        var data = new byte[count * type.SizeInBytes()];
        rng.NextBytes(data);
        return new StoredTensor(name, type, shape, data);
    }

    public static List<StoredTensor> RandomTensors(Random rng, int minDim = 0)
    {
        int n = rng.Next(0, 5);
        return Enumerable.Range(0, n)
            .Select(i => RandomTensor(rng, $"layer{rng.Next(100)}_{i}.{"qkv"[rng.Next(3)]}", AllTypes[rng.Next(AllTypes.Length)], minDim))
            .ToList();
    }

    public static void AssertSameTensor(StoredTensor expected, StoredTensor actual, bool compareNames = true)
    {
        if (compareNames) Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.ElementType, actual.ElementType);
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.True(expected.Bytes.SequenceEqual(actual.Bytes), $"Tensor '{expected.Name}' came back with different bytes.");
    }

    /// <summary>The host tensor must hold exactly the stored values: same bits for 16/32-bit types, exact widening for 8-bit ones.</summary>
    public static void AssertHostTensorHolds(StoredTensor expected, HostTensor actual)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.ElementType.HostElementType(), actual.ElementType);
        var bytes = expected.Bytes;
        switch (expected.ElementType)
        {
            case StoredElementType.Float16:
            case StoredElementType.BFloat16:
                Assert.True(MemoryMarshal.Cast<byte, ushort>(bytes).SequenceEqual(actual.Bits16));
                break;
            case StoredElementType.Float32:
                Assert.True(MemoryMarshal.Cast<byte, uint>(bytes).SequenceEqual(MemoryMarshal.Cast<float, uint>(actual.Single)));
                break;
            case StoredElementType.Float8E4M3:
                for (int i = 0; i < bytes.Length; i++)
                    Assert.Equal(BitConverter.SingleToUInt32Bits(Fp8E4M3.Decode(bytes[i])), BitConverter.SingleToUInt32Bits(actual.Single[i]));
                break;
            case StoredElementType.Int8:
                for (int i = 0; i < bytes.Length; i++) Assert.Equal((float)(sbyte)bytes[i], actual.Single[i]);
                break;
        }
    }

    /// <summary>
    /// The oracle of every corruption property: the read either returns values that pass <paramref name="checkExact"/> or throws
    /// CalibrationFormatException naming <paramref name="fileName"/>; any other exception escapes and fails the test.
    /// Returns whether it was rejected.
    /// </summary>
    public static bool ReadsExactlyOrRejects<T>(Func<T> read, Action<T> checkExact, string fileName)
    {
        T result;
        try
        {
            result = read();
        }
        catch (CalibrationFormatException e)
        {
            Assert.Equal(fileName, e.File);
            Assert.StartsWith(fileName + ": ", e.Message);
            Assert.False(string.IsNullOrWhiteSpace(e.Problem));
            return true;
        }
        checkExact(result);
        return false;
    }

    /// <summary>Reads every tensor of a safetensors image both ways (raw and host), as a caller would.</summary>
    public static List<(StoredTensor Raw, HostTensor Host)> ReadSafetensors(byte[] bytes, string fileName)
    {
        var file = SafetensorsFile.Parse(bytes, fileName);
        return file.Tensors.Select(t => (file.ReadTensor(t.Name), file.ReadHostTensor(t.Name))).ToList();
    }

    public static (StoredTensor Raw, HostTensor Host) ReadNpy(byte[] bytes, string fileName)
    {
        var raw = NpyFile.Parse(bytes, fileName);
        return (raw, raw.ToHostTensor());
    }
}
