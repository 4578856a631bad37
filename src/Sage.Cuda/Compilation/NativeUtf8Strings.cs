using System.Runtime.InteropServices;
using System.Text;

namespace Sage.Cuda;

/// <summary>NUL-terminated UTF-8 copies of strings in native memory, with an array of pointers to them (char** for NVRTC).</summary>
internal sealed unsafe class NativeUtf8Strings : IDisposable
{
    private readonly byte*[] strings;

    public NativeUtf8Strings(IReadOnlyList<string> values)
    {
        strings = new byte*[values.Count];
        Pointers = (byte**)NativeMemory.Alloc((nuint)Math.Max(values.Count, 1), (nuint)sizeof(byte*));
        for (int i = 0; i < values.Count; i++)
        {
            strings[i] = Copy(values[i]);
            Pointers[i] = strings[i];
        }
    }

    public int Count => strings.Length;

    public byte** Pointers { get; }

    public static byte* Copy(string value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        byte* text = (byte*)NativeMemory.Alloc((nuint)length + 1);
        Encoding.UTF8.GetBytes(value, new Span<byte>(text, length));
        text[length] = 0;
        return text;
    }

    public void Dispose()
    {
        foreach (byte* s in strings) NativeMemory.Free(s);
        NativeMemory.Free(Pointers);
    }
}
