using System.Globalization;
using Sage.Emulation.TensorCores;
using Sage.Numerics;

namespace Sage.Cli.TensorCores;

/// <summary>
/// Parses `a1,...,aK;b1,...,bK;c` lines where every value is the 8-hex-digit bit pattern of a float32.
/// Values must be exactly representable in the variant's input format (and c in its accumulator format),
/// because the hardware could not have been given anything else; a line that breaks this is an error naming it.
/// </summary>
public static class DotCaseReader
{
    public static IEnumerable<DotCase> Read(TextReader reader, IDotProductModel variant)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(variant);
        int lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            string text = line.Trim();
            if (text.Length == 0 || text.StartsWith('#')) continue;
            yield return Parse(text, lineNumber, variant);
        }
    }

    public static DotCase Parse(string text, int lineNumber, IDotProductModel variant)
    {
        string[] parts = text.Split(';');
        if (parts.Length != 3)
            throw new FormatException($"line {lineNumber}: expected 'a1,...,a{variant.K};b1,...,b{variant.K};c' (3 fields separated by ';'), found {parts.Length} field(s).");
        float[] a = ParseVector(parts[0], lineNumber, "a", variant);
        float[] b = ParseVector(parts[1], lineNumber, "b", variant);
        float c = ParseBits(parts[2], lineNumber, "c");
        if (!FitsAccumulator(c, variant.Accumulator))
            throw new FormatException($"line {lineNumber}: c = {Show(c)} is not exactly representable in the {variant.Accumulator} accumulator of {variant.Name}.");
        return new DotCase(lineNumber, a, b, c);
    }

    private static float[] ParseVector(string field, int line, string name, IDotProductModel variant)
    {
        string[] items = field.Split(',');
        if (items.Length != variant.K)
            throw new FormatException($"line {line}: {name} has {items.Length} value(s); {variant.Name} takes exactly K = {variant.K}.");
        var values = new float[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            float x = ParseBits(items[i], line, $"{name}{i + 1}");
            if (!FitsInput(x, variant.Input))
                throw new FormatException($"line {line}: {name}{i + 1} = {Show(x)} is not exactly representable in {variant.Input}, the input format of {variant.Name}.");
            values[i] = x;
        }
        return values;
    }

    private static float ParseBits(string token, int line, string name)
    {
        string t = token.Trim();
        if (t.Length != 8 || !uint.TryParse(t, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint bits))
            throw new FormatException($"line {line}: {name} = '{t}' is not an 8-hex-digit float32 bit pattern.");
        return BitConverter.UInt32BitsToSingle(bits);
    }

    private static bool FitsInput(float x, MmaInputFormat format) => format switch
    {
        MmaInputFormat.E4M3 => !float.IsNaN(x) && Fp8E4M3.Decode(Fp8E4M3.Encode(x)).Equals(x),
        MmaInputFormat.E5M2 => !float.IsNaN(x) && Fp8E5M2.Decode(Fp8E5M2.Encode(x)).Equals(x),
        MmaInputFormat.Int8 => IsInteger(x) && x is >= -128 and <= 127,
        MmaInputFormat.Int4 => IsInteger(x) && x is >= -8 and <= 7,
        _ => false,
    };

    private static bool FitsAccumulator(float c, MmaAccumulator accumulator) => accumulator switch
    {
        MmaAccumulator.Fp32 => true,
        MmaAccumulator.Fp16 => float.IsNaN(c) || (float)(Half)c == c,
        MmaAccumulator.Int32 => IsInteger(c) && Math.Abs((double)c) <= int.MaxValue,
        _ => false,
    };

    private static bool IsInteger(float x) => float.IsFinite(x) && MathF.Truncate(x) == x;

    // Equals, not ==, so that -0 vs +0 and NaN are told apart by bits where it matters.
    private static string Show(float x) => $"{BitConverter.SingleToUInt32Bits(x):x8} ({x.ToString("R", CultureInfo.InvariantCulture)})";
}
