using System.Text;

namespace Sage.Reference.Calibration;

/// <summary>
/// The header of a NumPy .npy file (format 1.0, 2.0 or 3.0): magic "\x93NUMPY", version, a little-endian header
/// length (2 bytes in 1.0, 4 in 2.0/3.0) and a Python dict literal such as
/// <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }</c>, space-padded so that the data starts
/// at a multiple of 64 and ended by '\n'. We parse that literal ourselves, strictly: exactly the three keys, each
/// once, a tuple of non-negative integers for the shape, no escapes.
/// </summary>
internal sealed record NpyHeader(StoredElementType ElementType, int[] Shape, long Count, long DataOffset)
{
    public static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Header bytes beyond which we refuse to read: real headers are well under 1 KiB.</summary>
    private const int MaxHeaderBytes = 1 << 20;

    public static NpyHeader Read(ByteSource source, string tensor)
    {
        string file = source.Name;
        long fileLength = source.Length;
        Span<byte> prefix = stackalloc byte[12];
        if (fileLength < 10)
            throw new CalibrationFormatException(file, tensor, $"the file has {fileLength} bytes, fewer than the 10-byte .npy preamble");
        source.ReadExactly(0, prefix[..10], tensor);
        if (!prefix[..6].SequenceEqual(Magic))
            throw new CalibrationFormatException(file, tensor, "the file does not start with the .npy magic \\x93NUMPY");
        byte major = prefix[6], minor = prefix[7];
        if (major is < 1 or > 3 || minor != 0)
            throw new CalibrationFormatException(file, tensor, $".npy format version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are)");
        long headerLength;
        int preamble;
        if (major == 1)
        {
            headerLength = prefix[8] | prefix[9] << 8;
            preamble = 10;
        }
        else
        {
            if (fileLength < 12)
                throw new CalibrationFormatException(file, tensor, $"the file has {fileLength} bytes, fewer than the 12-byte .npy {major}.0 preamble");
            source.ReadExactly(10, prefix[10..12], tensor);
            headerLength = BitConverter.ToUInt32(prefix[8..12]);
            preamble = 12;
        }
        if (preamble + headerLength > fileLength)
            throw new CalibrationFormatException(file, tensor,
                $"the header claims {headerLength} bytes but the file has only {fileLength - preamble} after the preamble");
        if (headerLength > MaxHeaderBytes)
            throw new CalibrationFormatException(file, tensor, $"the header claims {headerLength} bytes; more than {MaxHeaderBytes} is not a real .npy header");

        var headerBytes = new byte[headerLength];
        source.ReadExactly(preamble, headerBytes, tensor);
        foreach (byte b in headerBytes)
        {
            // Every header we accept is ASCII; rejecting the rest early keeps the parser simple (no latin-1/UTF-8 split).
            if (b >= 0x80 || b < 0x20 && b is not (byte)'\n' and not (byte)'\t' and not (byte)'\r')
                throw new CalibrationFormatException(file, tensor, $"the header holds byte 0x{b:X2}, which no supported header contains");
        }
        var (descr, fortranOrder, dims) = new DictLiteral(Encoding.ASCII.GetString(headerBytes), file, tensor).Parse();

        var type = ParseDescr(descr, file, tensor);
        if (fortranOrder)
            throw new CalibrationFormatException(file, tensor,
                "the array is stored in Fortran (column-major) order; only C order is supported (save np.ascontiguousarray(x))");
        var (shape, count) = TensorGeometry.CheckShape(dims, file, tensor);

        long dataOffset = preamble + headerLength;
        long expected = count * type.SizeInBytes(), actual = fileLength - dataOffset;
        if (actual != expected)
            throw new CalibrationFormatException(file, tensor, actual < expected
                ? $"shape {TensorGeometry.Format(shape)} of '{descr}' needs {expected} data bytes but the file holds only {actual} (truncated?)"
                : $"shape {TensorGeometry.Format(shape)} of '{descr}' needs {expected} data bytes but the file holds {actual}: {actual - expected} unexplained trailing bytes");
        return new NpyHeader(type, shape, count, dataOffset);
    }

    private static StoredElementType ParseDescr(string descr, string file, string tensor) => descr switch
    {
        "<f2" => StoredElementType.Float16,
        "<f4" => StoredElementType.Float32,
        "|i1" or "<i1" => StoredElementType.Int8,
        ">f2" or ">f4" => throw new CalibrationFormatException(file, tensor,
            $"dtype '{descr}' is big-endian; only little-endian data is supported (save x.astype(x.dtype.newbyteorder('<')))"),
        _ => throw new CalibrationFormatException(file, tensor,
            $"dtype '{descr}' is not supported; expected '<f2' (float16), '<f4' (float32) or '|i1' (int8)"),
    };

    /// <summary>Formats a header as numpy (1.22 and later) writes it, padded so that data starts at a multiple of 64.</summary>
    public static byte[] Format(StoredElementType type, IReadOnlyList<int> shape, int major)
    {
        string descr = type switch
        {
            StoredElementType.Float16 => "<f2",
            StoredElementType.Float32 => "<f4",
            StoredElementType.Int8 => "|i1",
            _ => throw new ArgumentException($"NumPy has no {type} dtype; store it as safetensors instead.", nameof(type)),
        };
        string dims = shape.Count == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {dims}, }}";
        // numpy >= 1.22 leaves room for the first axis to grow to 21 digits, so that a header can be rewritten in place.
        if (shape.Count > 0) dict += new string(' ', Math.Max(0, 21 - shape[0].ToString(System.Globalization.CultureInfo.InvariantCulture).Length));
        int preamble = major == 1 ? 10 : 12;
        int total = (preamble + dict.Length + 1 + 63) / 64 * 64;
        string header = dict.PadRight(total - preamble - 1) + "\n";
        if (major == 1 && header.Length > ushort.MaxValue)
            throw new ArgumentException($"A {shape.Count}-dimensional header needs .npy format 2.0.", nameof(major));
        var bytes = new byte[total];
        Magic.CopyTo(bytes);
        bytes[6] = (byte)major;
        bytes[7] = 0;
        if (major == 1) BitConverter.TryWriteBytes(bytes.AsSpan(8, 2), (ushort)header.Length);
        else BitConverter.TryWriteBytes(bytes.AsSpan(8, 4), (uint)header.Length);
        Encoding.ASCII.GetBytes(header, bytes.AsSpan(preamble));
        return bytes;
    }

    /// <summary>Recursive-descent reader for the one dict literal shape NumPy writes.</summary>
    private sealed class DictLiteral(string text, string file, string tensor)
    {
        private int _pos;

        public (string Descr, bool FortranOrder, long[] Shape) Parse()
        {
            string? descr = null;
            bool? fortran = null;
            long[]? shape = null;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            SkipSpace();
            Expect('{');
            SkipSpace();
            while (Peek() != '}')
            {
                string key = ReadString();
                if (!seen.Add(key)) throw Fail($"key '{key}' appears twice");
                SkipSpace();
                Expect(':');
                SkipSpace();
                switch (key)
                {
                    case "descr": descr = ReadString(); break;
                    case "fortran_order": fortran = ReadBool(); break;
                    case "shape": shape = ReadTuple(); break;
                    default: throw Fail($"unexpected key '{key}' (expected 'descr', 'fortran_order' and 'shape')");
                }
                SkipSpace();
                if (Peek() == ',') { _pos++; SkipSpace(); }
                else if (Peek() != '}') throw Fail($"expected ',' or '}}' at offset {_pos}");
            }
            _pos++;
            SkipSpace();
            if (_pos != text.Length) throw Fail($"unexpected text after the dictionary at offset {_pos}");
            if (descr is null || fortran is null || shape is null)
                throw Fail($"key '{(descr is null ? "descr" : fortran is null ? "fortran_order" : "shape")}' is missing");
            return (descr, fortran.Value, shape);
        }

        private long[] ReadTuple()
        {
            Expect('(');
            var items = new List<long>();
            bool trailingComma = false;
            SkipSpace();
            while (Peek() != ')')
            {
                items.Add(ReadInteger());
                SkipSpace();
                trailingComma = false;
                if (Peek() == ',') { _pos++; trailingComma = true; SkipSpace(); }
                else if (Peek() != ')') throw Fail($"expected ',' or ')' in the shape at offset {_pos}");
            }
            _pos++;
            // In Python "(5)" is the integer 5, not a tuple; NumPy rejects it, so do we.
            if (items.Count == 1 && !trailingComma) throw Fail("the shape '(n)' is not a tuple; a one-dimensional shape is written '(n,)'");
            return items.ToArray();
        }

        private long ReadInteger()
        {
            int start = _pos;
            if (Peek() == '-') _pos++;
            while (_pos < text.Length && char.IsAsciiDigit(text[_pos])) _pos++;
            var digits = text.AsSpan(start, _pos - start);
            if (digits.Length == 0 || digits is "-") throw Fail($"expected an integer in the shape at offset {start}");
            if (!long.TryParse(digits, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out long value))
                throw Fail($"shape entry '{digits}' is out of range");
            return value;
        }

        private bool ReadBool()
        {
            if (text.AsSpan(_pos).StartsWith("True")) { _pos += 4; return true; }
            if (text.AsSpan(_pos).StartsWith("False")) { _pos += 5; return false; }
            throw Fail($"expected True or False at offset {_pos}");
        }

        private string ReadString()
        {
            char quote = Peek();
            if (quote is not ('\'' or '"')) throw Fail($"expected a quoted string at offset {_pos}");
            int end = text.IndexOf(quote, _pos + 1);
            if (end < 0) throw Fail($"unterminated string at offset {_pos}");
            string value = text.Substring(_pos + 1, end - _pos - 1);
            if (value.Contains('\\')) throw Fail($"string '{value}' contains an escape, which no supported header needs");
            _pos = end + 1;
            return value;
        }

        private void Expect(char c)
        {
            if (Peek() != c) throw Fail($"expected '{c}' at offset {_pos}");
            _pos++;
        }

        private char Peek() => _pos < text.Length ? text[_pos] : throw Fail("the header dictionary ends early");

        private void SkipSpace()
        {
            while (_pos < text.Length && text[_pos] is ' ' or '\t' or '\n' or '\r') _pos++;
        }

        private CalibrationFormatException Fail(string problem) =>
            new(file, tensor, $"the header is not a valid .npy dictionary: {problem}");
    }
}
