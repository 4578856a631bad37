using FsCheck;
using FsCheck.Xunit;
using Sage.Cuda;
using Xunit;

namespace Sage.Property.Tests.Cuda;

/// <summary>A cache entry is either exactly what was written for its key, or rejected.</summary>
public class KernelCacheEntryTests
{
    private static readonly string KeyA = KernelCacheKey.Compute("a", [], "sm_90a", "13.0");
    private static readonly string KeyB = KernelCacheKey.Compute("b", [], "sm_90a", "13.0");

    [Property]
    public bool Entry_round_trips(byte[] image, bool ptx)
    {
        var kind = ptx ? KernelImageKind.Ptx : KernelImageKind.Cubin;
        byte[] entry = KernelCacheEntry.Encode(KeyA, kind, image);
        return KernelCacheEntry.TryDecode(entry, KeyA, out var readKind, out byte[] readImage, out _)
               && readKind == kind && readImage.AsSpan().SequenceEqual(image);
    }

    [Property]
    public bool Any_flipped_bit_is_rejected(NonEmptyArray<byte> image, PositiveInt position, byte mask)
    {
        if (mask == 0) return true;
        byte[] entry = KernelCacheEntry.Encode(KeyA, KernelImageKind.Cubin, image.Get);
        entry[position.Get % entry.Length] ^= mask;
        return !KernelCacheEntry.TryDecode(entry, KeyA, out _, out _, out string why) && why.Length > 0;
    }

    [Property]
    public bool Any_truncation_is_rejected(byte[] image, NonNegativeInt cut)
    {
        byte[] entry = KernelCacheEntry.Encode(KeyA, KernelImageKind.Cubin, image);
        int length = cut.Get % entry.Length; // strictly shorter than the entry
        return !KernelCacheEntry.TryDecode(entry.AsSpan(0, length), KeyA, out _, out _, out _);
    }

    [Property]
    public bool Appended_bytes_are_rejected(byte[] image, NonEmptyArray<byte> tail)
    {
        byte[] entry = [.. KernelCacheEntry.Encode(KeyA, KernelImageKind.Cubin, image), .. tail.Get];
        return !KernelCacheEntry.TryDecode(entry, KeyA, out _, out _, out _);
    }

    [Fact]
    public void Swapping_the_image_kind_is_caught_by_the_checksum()
    {
        // Cubin (1) → PTX (2) leaves every field individually valid; only the header checksum can tell.
        byte[] entry = KernelCacheEntry.Encode(KeyA, KernelImageKind.Cubin, [1, 2, 3]);
        entry[12] = (byte)KernelImageKind.Ptx;
        Assert.False(KernelCacheEntry.TryDecode(entry, KeyA, out _, out _, out string why));
        Assert.Equal("checksum mismatch", why);
    }

    [Fact]
    public void Entry_for_another_key_is_rejected()
    {
        byte[] entry = KernelCacheEntry.Encode(KeyA, KernelImageKind.Cubin, [1, 2, 3]);
        Assert.False(KernelCacheEntry.TryDecode(entry, KeyB, out _, out _, out string why));
        Assert.Contains("another key", why);
    }

    [Fact]
    public void Cache_deletes_a_corrupted_entry_and_reports_why()
    {
        using var folder = new TemporaryFolder();
        var cache = new KernelCache(folder.Path);
        Assert.True(cache.Write(KeyA, KernelImageKind.Cubin, [1, 2, 3, 4, 5]));
        Assert.True(cache.TryRead(KeyA, out var kind, out byte[] image, out string? rejection));
        Assert.Equal(KernelImageKind.Cubin, kind);
        Assert.Equal([1, 2, 3, 4, 5], image);
        Assert.Null(rejection);

        byte[] bytes = File.ReadAllBytes(cache.PathFor(KeyA));
        bytes[^1] ^= 1;
        File.WriteAllBytes(cache.PathFor(KeyA), bytes);

        Assert.False(cache.TryRead(KeyA, out _, out _, out rejection));
        Assert.Equal("checksum mismatch", rejection);
        Assert.False(File.Exists(cache.PathFor(KeyA)));
    }

    [Fact]
    public void A_hit_marks_the_entry_used()
    {
        using var folder = new TemporaryFolder();
        var cache = new KernelCache(folder.Path);
        Assert.True(cache.Write(KeyA, KernelImageKind.Cubin, [1, 2, 3]));
        var stale = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(cache.PathFor(KeyA), stale);

        DateTime before = DateTime.UtcNow.AddSeconds(-5);
        Assert.True(cache.TryRead(KeyA, out _, out _, out _));
        Assert.True(File.GetLastWriteTimeUtc(cache.PathFor(KeyA)) >= before, "a hit sets the entry's last write time to now");

        File.SetLastWriteTimeUtc(cache.PathFor(KeyA), stale);
        Assert.False(cache.TryRead(KeyB, out _, out _, out _));
        Assert.Equal(stale, File.GetLastWriteTimeUtc(cache.PathFor(KeyA)));
    }

    [Fact]
    public void Missing_entry_is_a_plain_miss()
    {
        using var folder = new TemporaryFolder();
        var cache = new KernelCache(folder.Path);
        Assert.False(cache.TryRead(KeyA, out _, out _, out string? rejection));
        Assert.Null(rejection);
    }

    [Fact]
    public void Write_leaves_no_temporary_files_and_overwrites()
    {
        using var folder = new TemporaryFolder();
        var cache = new KernelCache(Path.Combine(folder.Path, "not-yet-created"));
        Assert.True(cache.Write(KeyA, KernelImageKind.Cubin, [1]));
        Assert.True(cache.Write(KeyA, KernelImageKind.Ptx, [2, 0]));
        Assert.Equal([cache.PathFor(KeyA)], Directory.GetFiles(cache.Directory));
        Assert.True(cache.TryRead(KeyA, out var kind, out byte[] image, out _));
        Assert.Equal(KernelImageKind.Ptx, kind);
        Assert.Equal([2, 0], image);
    }

    [Fact]
    public void Unwritable_cache_folder_is_reported_not_thrown()
    {
        using var folder = new TemporaryFolder();
        string blocker = Path.Combine(folder.Path, "a-file");
        File.WriteAllText(blocker, "a file where the cache folder should be");
        var cache = new KernelCache(Path.Combine(blocker, "kernels"));
        Assert.False(cache.Write(KeyA, KernelImageKind.Cubin, [1, 2, 3]));
    }

    [Fact]
    public void Key_that_is_not_a_sha256_is_an_argument_error()
    {
        var e = Assert.Throws<ArgumentException>(() => KernelCacheEntry.Encode("../../etc/passwd", KernelImageKind.Cubin, [1]));
        Assert.Contains("64 hex digits", e.Message);
    }

    private sealed class TemporaryFolder : IDisposable
    {
        public TemporaryFolder()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"sage-cache-test-{Guid.NewGuid():N}");
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
