using System.Text;
using Sage.Reference.Calibration;
using Xunit;

namespace Sage.Property.Tests.Calibration;

/// <summary>Hand-written .npy images, byte for byte as numpy writes them, and the ways such files go wrong.</summary>
public class NpyFixtureTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    /// <summary>
    /// np.save of a (2, 3) float32 array, numpy ≥ 1.22: the dict, 20 spaces of growth room (21 digits minus the
    /// one of "2"), then spaces and '\n' up to 128 bytes in all. Built here byte by byte, not by our writer.
    /// </summary>
    [Fact]
    public void ReadsNumpysOwnFloat32Layout()
    {
        var file = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 0x01, 0x00, 0x76, 0x00 };
        string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        file.AddRange(Encoding.ASCII.GetBytes(dict + new string(' ', 20 + 38) + "\n"));
        Assert.Equal(128, file.Count);
        // 1, 2, 3, -0.5, 65504, -inf
        file.AddRange(Hex("0000803F 00000040 00004040 000000BF 00E07F47 000080FF"));

        var t = NpyFile.Parse(file.ToArray(), "fixture.npy");
        Assert.Equal(StoredElementType.Float32, t.ElementType);
        Assert.Equal([2, 3], t.Shape);
        Assert.Equal("fixture", t.Name);
        Assert.Equal([1f, 2f, 3f, -0.5f, 65504f, float.NegativeInfinity], t.ToHostTensor().ToSingleArray());
    }

    [Fact]
    public void ReadsFloat16AndBothInt8Spellings()
    {
        var half = NpyFile.Parse(CalibrationBytes.Npy("{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }", Hex("003C 00C0 FF7B 007C")), "h.npy");
        var host = half.ToHostTensor();
        Assert.Equal(ElementType.Float16, host.ElementType);
        Assert.Equal([1f, -2f, 65504f, float.PositiveInfinity], host.ToSingleArray());

        foreach (string descr in new[] { "|i1", "<i1" })
        {
            var int8 = NpyFile.Parse(CalibrationBytes.Npy($"{{'descr': '{descr}', 'fortran_order': False, 'shape': (2, 2), }}", Hex("7F 80 00 FF")), "i.npy");
            Assert.Equal(StoredElementType.Int8, int8.ElementType);
            Assert.Equal([127, -128, 0, -1], int8.Int8Values.ToArray());
            Assert.Equal([127f, -128f, 0f, -1f], int8.ToHostTensor().ToSingleArray());
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void ReadsFormatVersions2And3(int major)
    {
        var t = NpyFile.Parse(CalibrationBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", Hex("0000803F"), major), "v.npy");
        Assert.Equal([1f], t.ToHostTensor().ToSingleArray());
    }

    [Fact]
    public void ReadsScalarsEmptyArraysKeyOrderAndDoubleQuotes()
    {
        Assert.Equal(1, NpyFile.Parse(CalibrationBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", Hex("0000803F")), "s.npy").Length);
        Assert.Equal(0, NpyFile.Parse(CalibrationBytes.Npy("{'descr': '<f2', 'fortran_order': False, 'shape': (0, 7), }", []), "e.npy").Length);
        var t = NpyFile.Parse(CalibrationBytes.Npy("{\"shape\": (1,2),\"fortran_order\":False,\"descr\":\"|i1\"}", Hex("0102")), "o.npy");
        Assert.Equal([1, 2], t.Shape);
    }

    [Fact]
    public void WriterProducesNumpysExactHeader()
    {
        var t = new StoredTensor("x", StoredElementType.Float32, [2, 3], new byte[24]);
        var bytes = NpyFile.Serialize(t);
        var expected = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 0x01, 0x00, 0x76, 0x00 };
        expected.AddRange(Encoding.ASCII.GetBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + new string(' ', 58) + "\n"));
        Assert.Equal(expected, bytes[..128]);
        Assert.Equal(128 + 24, bytes.Length);

        var int8 = NpyFile.Serialize(StoredTensor.FromInt8("x", [1, 2, 3], 3));
        Assert.StartsWith("{'descr': '|i1', 'fortran_order': False, 'shape': (3,), }", Encoding.ASCII.GetString(int8, 10, 118));
        Assert.Equal(0, (NpyFile.Serialize(StoredTensor.FromInt8("x", [], 0, 5), 2).Length - 0) % 64);
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", "Fortran")]
    [InlineData("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", "big-endian")]
    [InlineData("{'descr': '>f2', 'fortran_order': False, 'shape': (4, 2), }", "big-endian")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", "'<f8' is not supported")]
    [InlineData("{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }", "'<i4' is not supported")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (4), }", "not a tuple")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': [4], }", "expected '('")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (-4,), }", "negative")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", "needs 24 data bytes but the file holds only 16")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", "12 unexplained trailing bytes")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'descr': '<f4', 'shape': (4,), }", "'descr' appears twice")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, }", "'shape' is missing")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'extra': 1}", "unexpected key 'extra'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), } x", "unexpected text")]
    [InlineData("{'descr': '<f4', 'fortran_order': false, 'shape': (4,), }", "True or False")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", "out of range")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904), }", "at most 2147483647")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2147483647, 2147483647), }", "more elements than one array")]
    public void RejectsWithTheProblemNamed(string dict, string problem)
    {
        var e = Assert.Throws<CalibrationFormatException>(() => NpyFile.Parse(CalibrationBytes.Npy(dict, new byte[16]), "bad.npy"));
        Assert.Equal("bad.npy", e.File);
        Assert.Equal("bad", e.Tensor);
        Assert.Contains(problem, e.Problem);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void RejectsBadMagicVersionsAndHeaderLengths()
    {
        var good = CalibrationBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new byte[4]);
        Assert.Contains("magic", Reject(good.Select((b, i) => i == 1 ? (byte)'X' : b).ToArray()));
        Assert.Contains("version 4.0", Reject(good.Select((b, i) => i == 6 ? (byte)4 : b).ToArray()));
        Assert.Contains("version 1.1", Reject(good.Select((b, i) => i == 7 ? (byte)1 : b).ToArray()));
        Assert.Contains("fewer than the 10-byte", Reject(good[..9]));
        Assert.Contains("claims 65535 bytes", Reject(CalibrationBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new byte[4], 1, 65535)));
        Assert.Contains("claims 4294967295 bytes", Reject(CalibrationBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new byte[4], 2, uint.MaxValue)));
        Assert.Contains("byte 0xE9", Reject(CalibrationBytes.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'é': 0}", new byte[4])));
    }

    [Fact]
    public void WriterRefusesTypesNumpyLacks()
    {
        Assert.Throws<ArgumentException>(() => NpyFile.Serialize(StoredTensor.FromFp8E4M3("f", [0x38], 1)));
        Assert.Throws<ArgumentException>(() => NpyFile.Serialize(new StoredTensor("b", StoredElementType.BFloat16, [1], new byte[2])));
    }

    private static string Reject(byte[] bytes) =>
        Assert.Throws<CalibrationFormatException>(() => NpyFile.Parse(bytes, "bad.npy")).Problem;
}
