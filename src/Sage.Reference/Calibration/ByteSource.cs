using Microsoft.Win32.SafeHandles;

namespace Sage.Reference.Calibration;

/// <summary>
/// The bytes of one calibration file, read at explicit offsets. Files are never read whole: a calibration set can
/// hold gigabytes, and a hostile header must be checked against <see cref="Length"/> before anything is allocated.
/// </summary>
internal abstract class ByteSource : IDisposable
{
    protected ByteSource(string name) => Name = name;

    /// <summary>The file name used in error messages.</summary>
    public string Name { get; }

    public abstract long Length { get; }

    /// <summary>Fills <paramref name="destination"/> from <paramref name="offset"/>; a short read is a truncated file.</summary>
    public void ReadExactly(long offset, Span<byte> destination, string? tensor)
    {
        int done = 0;
        while (done < destination.Length)
        {
            int n = ReadAt(offset + done, destination[done..]);
            if (n <= 0)
                throw new CalibrationFormatException(Name, tensor,
                    $"the file ends at byte {offset + done} while {destination.Length - done} more bytes were expected " +
                    "(it was truncated or changed while being read)");
            done += n;
        }
    }

    protected abstract int ReadAt(long offset, Span<byte> destination);

    public virtual void Dispose() { }

    public static ByteSource OpenFile(string path) => new FileByteSource(path);

    public static ByteSource FromMemory(ReadOnlyMemory<byte> bytes, string name) => new MemoryByteSource(bytes, name);

    private sealed class FileByteSource(string path) : ByteSource(path)
    {
        private readonly SafeFileHandle _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);

        public override long Length => RandomAccess.GetLength(_handle);

        protected override int ReadAt(long offset, Span<byte> destination) => RandomAccess.Read(_handle, destination, offset);

        public override void Dispose() => _handle.Dispose();
    }

    private sealed class MemoryByteSource(ReadOnlyMemory<byte> bytes, string name) : ByteSource(name)
    {
        public override long Length => bytes.Length;

        protected override int ReadAt(long offset, Span<byte> destination)
        {
            if (offset >= bytes.Length) return 0;
            var available = bytes.Span[(int)offset..];
            int n = Math.Min(available.Length, destination.Length);
            available[..n].CopyTo(destination);
            return n;
        }
    }
}
