using System.Text;
using Sage.Reference.Calibration;
using Xunit;

namespace Sage.Property.Tests.Calibration;

/// <summary>Hand-written safetensors images and every rule of the format we enforce.</summary>
public class SafetensorsFixtureTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    /// <summary>
    /// Written out byte by byte: length prefix 0x78 (120), the JSON header padded with spaces, then the buffer
    /// (4 bytes of F16, 2 of BF16, 4 of F8_E4M3, 2 of I8, 4 of F32).
    /// </summary>
    [Fact]
    public void ReadsAHandWrittenFileOfEveryType()
    {
        string json = "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
            + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1,1],\"data_offsets\":[4,6]},"
            + "\"f8\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[6,10]},"
            + "\"i\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[10,12]},"
            + "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[12,16]}}";
        var header = Encoding.ASCII.GetBytes(json);
        int padded = (header.Length + 7) / 8 * 8;
        var file = new List<byte>(BitConverter.GetBytes((ulong)padded));
        file.AddRange(header);
        file.AddRange(Enumerable.Repeat((byte)' ', padded - header.Length));
        file.AddRange(Hex("003C 00C0" + "803F" + "38 7E FF 01" + "80 7F" + "0000C0BF"));

        var st = SafetensorsFile.Parse(file.ToArray(), "fixture.safetensors");
        Assert.Equal(["h", "b", "f8", "i", "s"], st.Tensors.Select(t => t.Name));
        Assert.Equal("pt", st.Metadata["format"]);
        Assert.Equal([1f, -2f], st.ReadHostTensor("h").ToSingleArray());
        Assert.Equal(ElementType.BFloat16, st.ReadHostTensor("b").ElementType);
        Assert.Equal([1f], st.ReadHostTensor("b").ToSingleArray());
        Assert.Equal([1f, 448f, float.NaN, 1f / 512f], st.ReadHostTensor("f8").ToSingleArray());
        Assert.Equal([0x38, 0x7E, 0xFF, 0x01], st.ReadTensor("f8").Fp8E4M3Codes.ToArray());
        Assert.Equal([-128, 127], st.ReadTensor("i").Int8Values.ToArray());
        Assert.Equal([-128f, 127f], st.ReadHostTensor("i").ToSingleArray());
        Assert.Equal([-1.5f], st.ReadHostTensor("s").ToSingleArray());
        Assert.Empty(st.ReadHostTensor("s").Shape);
    }

    [Fact]
    public void AcceptsEmptyFilesZeroSizedTensorsAndWhitespace()
    {
        Assert.Empty(SafetensorsFile.Parse(CalibrationBytes.Safetensors("{}", []), "e.safetensors").Tensors);
        var st = SafetensorsFile.Parse(CalibrationBytes.Safetensors(
            "{ \"z\" : { \"dtype\" : \"F32\", \"shape\" : [0, 3], \"data_offsets\" : [0, 0] },\n \"a\": {\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[0,1]} }",
            [5]), "z.safetensors");
        Assert.Equal(0, st.ReadHostTensor("z").Length);
        Assert.Equal([5f], st.ReadHostTensor("a").ToSingleArray());
    }

    private const string A = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    [Theory]
    [InlineData("{" + A + "," + A + "}", 8, "a", "appears twice")]
    [InlineData("{" + A + ",\"\\u0061\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16, "a", "appears twice")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "a", "'dtype' appears twice")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "a", "'shape' appears twice")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"data_offsets\":[0,8]}}", 8, "a", "'data_offsets' appears twice")]
    [InlineData("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}," + A + "}", 8, null, "key 'k' appears twice")]
    [InlineData("{\"__metadata__\":{},\"__metadata__\":{}," + A + "}", 8, "__metadata__", "appears twice")]
    [InlineData("{\"__metadata__\":{\"k\":1}," + A + "}", 8, null, "expected String")]
    [InlineData("{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, "a", "'F64' is not supported")]
    [InlineData("{\"a\":{\"dtype\":\"F8_E5M2\",\"shape\":[8],\"data_offsets\":[0,8]}}", 8, "a", "'F8_E5M2' is not supported")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "a", "needs 12 bytes but data_offsets [0, 8] span 8")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "a", "negative dimension")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8, "a", "not an integer")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[18446744073709551615],\"data_offsets\":[0,8]}}", 8, "a", "not an integer")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8, "a", "at most 2147483647")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4611686018427387904]}}", 8, "a", "needs 8 bytes")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "a", "0 <= begin <= end")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,9]}}", 8, "a", "has 3 entries")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "a", "no 'data_offsets'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"crc\":1}}", 8, "a", "unexpected key 'crc'")]
    [InlineData("{\"a\":[1,2]}", 8, "a", "expected StartObject")]
    [InlineData("{" + A + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 16, "b", "overlap tensor 'a' [0, 8]")]
    [InlineData("{" + A + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}", 20, "b", "leave bytes [8, 12)")]
    [InlineData("{" + A + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "b", "overlap")]
    [InlineData("{" + A + "}", 12, null, "4 unexplained trailing bytes")]
    [InlineData("{" + A + "}", 7, "a", "beyond the 7-byte data buffer")]
    [InlineData("{" + A + ",}", 8, null, "not valid JSON")]
    [InlineData("{" + A + "} {}", 8, null, "not valid JSON")]
    [InlineData("{" + A + " // comment\n}", 8, null, "not valid JSON")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8, null, "not valid JSON")]
    [InlineData("{\"\\ud800\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, null, "not valid JSON")]
    [InlineData("{\"a\\q\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, null, "not valid JSON")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[[[[[[[[[[2]]]]]]]]]],\"data_offsets\":[0,8]}}", 8, "a", "not an integer")]
    [InlineData(" {" + A + "}", 8, null, "must start with '{'")]
    [InlineData("[]", 0, null, "must start with '{'")]
    public void RejectsWithTheProblemNamed(string json, int dataBytes, string? tensor, string problem)
    {
        var e = Assert.Throws<CalibrationFormatException>(() =>
            SafetensorsFile.Parse(CalibrationBytes.Safetensors(json, new byte[dataBytes]), "bad.safetensors"));
        Assert.Equal("bad.safetensors", e.File);
        Assert.Equal(tensor, e.Tensor);
        Assert.Contains(problem, e.Problem);
    }

    [Theory]
    [InlineData(1UL << 60)]
    [InlineData(ulong.MaxValue)]
    [InlineData(200_000_000UL)]
    [InlineData(1000UL)]
    public void RejectsHeaderLengthsBeyondTheFileBeforeAllocating(ulong claimed)
    {
        var bytes = CalibrationBytes.Safetensors("{" + A + "}", new byte[8], claimed);
        var e = Assert.Throws<CalibrationFormatException>(() => SafetensorsFile.Parse(bytes, "big.safetensors"));
        Assert.Contains($"claims {claimed} bytes", e.Problem);
    }

    [Fact]
    public void RejectsTinyFilesAndInvalidUtf8()
    {
        Assert.Contains("fewer than the 8-byte", Assert.Throws<CalibrationFormatException>(() => SafetensorsFile.Parse(new byte[5], "t.safetensors")).Problem);
        Assert.Contains("at least '{}'", Assert.Throws<CalibrationFormatException>(() => SafetensorsFile.Parse(new byte[8], "t.safetensors")).Problem);
        var bytes = CalibrationBytes.Safetensors("{\"xx\":{}}", []);
        bytes[10] = 0xC3; bytes[11] = 0x28; // an invalid two-byte UTF-8 sequence inside the name
        Assert.Contains("not valid JSON", Assert.Throws<CalibrationFormatException>(() => SafetensorsFile.Parse(bytes, "t.safetensors")).Problem);
    }

    [Fact]
    public void WriterRefusesDuplicateAndReservedNames()
    {
        var t = StoredTensor.FromInt8("a", [1], 1);
        Assert.Throws<ArgumentException>(() => SafetensorsFile.Serialize([t, t]));
        Assert.Throws<ArgumentException>(() => SafetensorsFile.Serialize([t.WithName("__metadata__")]));
    }

    [Fact]
    public void WriterPadsTheHeaderToEightBytesWithSpaces()
    {
        var bytes = SafetensorsFile.Serialize([StoredTensor.FromInt8("a", [1, 2, 3], 3)], new Dictionary<string, string> { ["k"] = "v" });
        ulong n = BitConverter.ToUInt64(bytes, 0);
        Assert.Equal(0UL, n % 8);
        Assert.Equal((byte)'{', bytes[8]);
        Assert.Equal(8 + (int)n + 3, bytes.Length);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.Equal("{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"I8\",\"shape\":[3],\"data_offsets\":[0,3]}}", header.TrimEnd(' '));
    }
}
