namespace Sage.Cuda;

/// <summary>
/// Compiled kernels on disk, one file per cache key: &lt;Directory&gt;/&lt;key&gt;.kernel. Entries are written to a
/// temporary file and moved into place, so a reader sees a whole entry or none; an entry that fails its
/// checks (<see cref="KernelCacheEntry"/>) is deleted and reported as a miss. The cache is an optimisation:
/// if the folder cannot be written the compile result is still returned, only not kept. A hit sets the entry's last
/// write time to now (as ccache does), so that the entries in use can be told from stale ones: bench/kernel-cache.sh
/// carries only the entries a device call wrote or read.
/// </summary>
public sealed class KernelCache
{
    private const string Extension = ".kernel";

    public KernelCache(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = Path.GetFullPath(directory);
    }

    /// <summary>The folder holding the entries.</summary>
    public string Directory { get; }

    /// <summary>The cache at <see cref="DefaultDirectory"/>.</summary>
    public static KernelCache Default => new(DefaultDirectory());

    /// <summary>$SAGE_CUDA_CACHE, else $XDG_CACHE_HOME/sage-attention/kernels, else ~/.cache/sage-attention/kernels.</summary>
    public static string DefaultDirectory()
    {
        string? explicitDirectory = Environment.GetEnvironmentVariable("SAGE_CUDA_CACHE");
        if (!string.IsNullOrWhiteSpace(explicitDirectory)) return explicitDirectory;
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrWhiteSpace(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "sage-attention", "kernels");
    }

    /// <summary>The file an entry for <paramref name="key"/> lives in.</summary>
    public string PathFor(string key) => Path.Combine(Directory, key + Extension);

    /// <summary>
    /// Reads the entry for <paramref name="key"/>. A missing entry is a plain miss; a damaged one is deleted and
    /// <paramref name="rejection"/> says what was wrong with it.
    /// </summary>
    public bool TryRead(string key, out KernelImageKind kind, out byte[] image, out string? rejection)
    {
        kind = default;
        image = [];
        rejection = null;
        string path = PathFor(key);
        byte[] bytes;
        try
        {
            if (!File.Exists(path)) return false;
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException e)
        {
            rejection = $"unreadable: {e.Message}";
            return false;
        }
        catch (UnauthorizedAccessException e)
        {
            rejection = $"unreadable: {e.Message}";
            return false;
        }
        if (KernelCacheEntry.TryDecode(bytes, key, out kind, out image, out string why))
        {
            MarkUsed(path);
            return true;
        }
        rejection = why;
        Delete(key);
        return false;
    }

    /// <summary>Stores an entry atomically (temp file, then rename). Returns false if the folder is not writable.</summary>
    public bool Write(string key, KernelImageKind kind, ReadOnlySpan<byte> image)
    {
        byte[] entry = KernelCacheEntry.Encode(key, kind, image);
        string path = PathFor(key);
        string temporary = Path.Combine(Directory, $".{key}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                file.Write(entry);
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temporary); } catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException) { }
            return false;
        }
    }

    /// <summary>Best effort: an entry whose time cannot be set is still a hit.</summary>
    private static void MarkUsed(string path)
    {
        try
        {
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Removes the entry for <paramref name="key"/> if present.</summary>
    public void Delete(string key)
    {
        try
        {
            File.Delete(PathFor(key));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A stale entry that cannot be deleted is rewritten (moved over) by the next successful compile.
        }
    }
}
