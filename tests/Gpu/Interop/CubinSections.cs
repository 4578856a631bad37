using System.Buffers.Binary;
using System.Text;

namespace Sage.Gpu.Tests.Interop;

/// <summary>
/// The sections of a cubin (an ELF64 little-endian image, as NVRTC returns it), by name: enough to compare one kernel's
/// machine code (<c>.text.NAME</c>) between two modules without going through a disassembler's rendering.
/// </summary>
internal static class CubinSections
{
    public sealed record Section(string Name, uint Type, ulong Flags, byte[] Data);

    public static IReadOnlyDictionary<string, Section> Read(byte[] image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var d = image.AsSpan();
        if (d.Length < 64 || d[0] != 0x7F || d[1] != (byte)'E' || d[2] != (byte)'L' || d[3] != (byte)'F' || d[4] != 2 || d[5] != 1)
            throw new ArgumentException("not an ELF64 little-endian image", nameof(image));
        ulong sectionTable = BinaryPrimitives.ReadUInt64LittleEndian(d[0x28..]);
        int entrySize = BinaryPrimitives.ReadUInt16LittleEndian(d[0x3A..]);
        int count = BinaryPrimitives.ReadUInt16LittleEndian(d[0x3C..]);
        int namesIndex = BinaryPrimitives.ReadUInt16LittleEndian(d[0x3E..]);
        var headers = new (uint Name, uint Type, ulong Flags, ulong Offset, ulong Size)[count];
        for (int i = 0; i < count; i++)
        {
            var h = d[(int)(sectionTable + (ulong)(i * entrySize))..];
            headers[i] = (BinaryPrimitives.ReadUInt32LittleEndian(h), BinaryPrimitives.ReadUInt32LittleEndian(h[4..]),
                BinaryPrimitives.ReadUInt64LittleEndian(h[8..]), BinaryPrimitives.ReadUInt64LittleEndian(h[0x18..]),
                BinaryPrimitives.ReadUInt64LittleEndian(h[0x20..]));
        }
        int names = (int)headers[namesIndex].Offset;
        var result = new Dictionary<string, Section>(StringComparer.Ordinal);
        foreach (var h in headers)
        {
            int start = names + (int)h.Name;
            string name = Encoding.ASCII.GetString(d[start..(start + d[start..].IndexOf((byte)0))]);
            const uint NoBits = 8; // .nv.shared and the like: a size, no bytes in the file
            byte[] data = h.Type == NoBits ? [] : d.Slice((int)h.Offset, (int)h.Size).ToArray();
            result.TryAdd(name, new Section(name, h.Type, h.Flags, data));
        }
        return result;
    }
}
