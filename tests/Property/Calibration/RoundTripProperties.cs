using FsCheck.Xunit;
using Sage.Numerics;
using Sage.Reference.Calibration;
using Xunit;

namespace Sage.Property.Tests.Calibration;

/// <summary>Writer → reader gives back exactly what was written, for every dtype, both formats, in memory and on disk.</summary>
public class RoundTripProperties
{
    [Property(MaxTest = 200)]
    public void SafetensorsRoundTripsEveryDtype(int seed, bool withMetadata)
    {
        var rng = new Random(seed);
        var tensors = CalibrationBytes.RandomTensors(rng).DistinctBy(t => t.Name).ToList();
        var metadata = withMetadata ? new Dictionary<string, string> { ["format"] = "pt", [$"k{rng.Next()}"] = "\"quoted\" \u00e9" } : null;
        var file = SafetensorsFile.Parse(SafetensorsFile.Serialize(tensors, metadata), "rt.safetensors");
        Assert.Equal(tensors.Select(t => t.Name), file.Tensors.Select(t => t.Name));
        Assert.Equal(metadata ?? new Dictionary<string, string>(), file.Metadata);
        foreach (var t in tensors)
        {
            CalibrationBytes.AssertSameTensor(t, file.ReadTensor(t.Name));
            CalibrationBytes.AssertHostTensorHolds(t, file.ReadHostTensor(t.Name));
            Assert.Equal(new TensorInfo(t.Name, t.ElementType, t.Shape), file.GetInfo(t.Name), TensorInfoComparer.Instance);
        }
    }

    [Property(MaxTest = 200)]
    public void NpyRoundTripsEveryDtypeAndVersion(int seed)
    {
        var rng = new Random(seed);
        var type = CalibrationBytes.NpyTypes[rng.Next(3)];
        var t = CalibrationBytes.RandomTensor(rng, "t", type, maxRank: 5);
        int? version = rng.Next(4) is var v && v == 0 ? null : v;
        var bytes = NpyFile.Serialize(t, version);
        Assert.Equal(0, CalibrationBytes.NpyHeaderEnd(bytes) % 64);
        var back = NpyFile.Parse(bytes, "t.npy");
        CalibrationBytes.AssertSameTensor(t, back);
        CalibrationBytes.AssertHostTensorHolds(t, back.ToHostTensor());
    }

    /// <summary>Host tensors keep their exact bits (NaN payloads, signed zeros, subnormals) through both formats.</summary>
    [Property(MaxTest = 100)]
    public void HostTensorsKeepTheirBits(int seed)
    {
        var rng = new Random(seed);
        var type = (ElementType)rng.Next(3);
        var shape = new[] { rng.Next(1, 3), rng.Next(1, 4), rng.Next(0, 5), rng.Next(1, 5) };
        int n = shape.Aggregate(1, (p, d) => p * d);
        HostTensor host = type switch
        {
            ElementType.Float32 => HostTensor.FromSingle(Enumerable.Range(0, n).Select(_ => BitConverter.Int32BitsToSingle(rng.Next() ^ (rng.Next(2) << 31))).ToArray(), shape),
            _ => HostTensor.FromBits(type, Enumerable.Range(0, n).Select(_ => (ushort)rng.Next(65536)).ToArray(), shape),
        };
        var stored = StoredTensor.FromHostTensor("x", host);
        var viaSafetensors = SafetensorsFile.Parse(SafetensorsFile.Serialize([stored])).ReadHostTensor("x");
        AssertSameBits(host, viaSafetensors);
        if (type != ElementType.BFloat16)
            AssertSameBits(host, NpyFile.Parse(NpyFile.Serialize(stored)).ToHostTensor());
    }

    [Theory]
    [InlineData(StoredElementType.Float16)]
    [InlineData(StoredElementType.BFloat16)]
    [InlineData(StoredElementType.Float32)]
    [InlineData(StoredElementType.Float8E4M3)]
    [InlineData(StoredElementType.Int8)]
    public void EveryDtypeRoundTripsThroughFilesOnDisk(StoredElementType type)
    {
        using var dir = new TempFolder();
        var rng = new Random((int)type);
        var tensors = new[] { CalibrationBytes.RandomTensor(rng, "a", type, 1), CalibrationBytes.RandomTensor(rng, "b", type, 0) };
        string st = dir.File("x.safetensors");
        SafetensorsFile.Write(st, tensors);
        var file = SafetensorsFile.Open(st);
        foreach (var t in tensors)
        {
            CalibrationBytes.AssertSameTensor(t, file.ReadTensor(t.Name));
            CalibrationBytes.AssertHostTensorHolds(t, file.ReadHostTensor(t.Name));
        }
        if (!CalibrationBytes.NpyTypes.Contains(type)) return;
        foreach (var t in tensors)
        {
            string npy = dir.File(t.Name + ".npy");
            NpyFile.Write(npy, t);
            CalibrationBytes.AssertSameTensor(t, NpyFile.Read(npy));
            CalibrationBytes.AssertHostTensorHolds(t, NpyFile.ReadHostTensor(npy));
            Assert.Equal(t.Shape, NpyFile.ReadInfo(npy).Shape);
        }
    }

    /// <summary>Every FP8 code decodes to Fp8E4M3.Decode's value (NaN codes to its canonical NaN), every int8 to itself.</summary>
    [Fact]
    public void EightBitTypesWidenExactlyForEveryCode()
    {
        var codes = Enumerable.Range(0, 256).Select(c => (byte)c).ToArray();
        var file = SafetensorsFile.Parse(SafetensorsFile.Serialize([
            StoredTensor.FromFp8E4M3("f8", codes, 16, 16),
            StoredTensor.FromInt8("i8", codes.Select(c => (sbyte)c).ToArray(), 256)]));
        var f8 = file.ReadHostTensor("f8").Single.ToArray();
        var i8 = file.ReadHostTensor("i8").Single.ToArray();
        for (int c = 0; c < 256; c++)
        {
            Assert.Equal(BitConverter.SingleToUInt32Bits(Fp8E4M3.Decode((byte)c)), BitConverter.SingleToUInt32Bits(f8[c]));
            Assert.Equal((sbyte)c, i8[c]);
        }
    }

    private static void AssertSameBits(HostTensor expected, HostTensor actual)
    {
        Assert.Equal(expected.ElementType, actual.ElementType);
        Assert.Equal(expected.Shape, actual.Shape);
        if (expected.ElementType == ElementType.Float32)
            Assert.Equal(expected.Single.ToArray().Select(BitConverter.SingleToUInt32Bits), actual.Single.ToArray().Select(BitConverter.SingleToUInt32Bits));
        else
            Assert.Equal(expected.Bits16.ToArray(), actual.Bits16.ToArray());
    }

    private sealed class TensorInfoComparer : IEqualityComparer<TensorInfo>
    {
        public static readonly TensorInfoComparer Instance = new();
        public bool Equals(TensorInfo? x, TensorInfo? y) =>
            x!.Name == y!.Name && x.ElementType == y.ElementType && x.Shape.SequenceEqual(y.Shape);
        public int GetHashCode(TensorInfo obj) => obj.Name.GetHashCode();
    }
}
