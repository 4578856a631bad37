using Xunit;
using Sage.Cuda;

namespace Sage.Gpu.Tests.Interop;

public sealed class KernelCacheGpuTests(ITestOutputHelper output)
{
    [Fact]
    public void Second_load_is_a_cache_hit_with_the_same_image()
    {
        using var context = InteropGpu.ContextOrSkip();
        string directory = InteropGpu.NewCacheDirectory();
        try
        {
            var compiler = new KernelCompiler(new KernelCache(directory));
            var source = InteropGpu.InteropSource("vector_add.cu");

            using var first = compiler.Load(context, source);
            using var second = compiler.Load(context, source);

            Assert.False(first.LoadedFromCache);
            Assert.True(second.LoadedFromCache);
            Assert.Equal(first.Compiled!.CacheKey, second.Compiled!.CacheKey);
            Assert.Equal(first.Compiled.Image, second.Compiled.Image);
            Assert.True(File.Exists(compiler.Cache!.PathFor(first.Compiled.CacheKey)));
            AssertVectorAddWorks(context, second);

            using var otherOptions = compiler.Load(context, source, ["-DSAGE_CACHE_TEST=1"]);
            Assert.False(otherOptions.LoadedFromCache);
            Assert.NotEqual(first.Compiled.CacheKey, otherOptions.Compiled!.CacheKey);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("truncate")]
    [InlineData("garbage")]
    public void Corrupted_entry_is_rejected_deleted_and_rebuilt(string damage)
    {
        using var context = InteropGpu.ContextOrSkip();
        string directory = InteropGpu.NewCacheDirectory();
        try
        {
            var compiler = new KernelCompiler(new KernelCache(directory));
            var source = InteropGpu.InteropSource("vector_add.cu");
            string key;
            byte[] goodImage;
            using (var first = compiler.Load(context, source))
            {
                key = first.Compiled!.CacheKey;
                goodImage = first.Compiled.Image;
            }
            string path = compiler.Cache!.PathFor(key);
            byte[] entry = File.ReadAllBytes(path);
            switch (damage)
            {
                case "flip": entry[entry.Length / 2] ^= 0x10; break;
                case "truncate": entry = entry[..(entry.Length / 2)]; break;
                default: Random.Shared.NextBytes(entry); break;
            }
            File.WriteAllBytes(path, entry);

            using var rebuilt = compiler.Load(context, source);

            output.WriteLine($"{damage}: {rebuilt.Compiled!.CacheRejection}");
            Assert.False(rebuilt.LoadedFromCache);
            Assert.NotNull(rebuilt.Compiled.CacheRejection);
            Assert.Equal(goodImage, rebuilt.Compiled.Image);
            Assert.True(compiler.Cache.TryRead(key, out _, out byte[] reread, out _));
            Assert.Equal(goodImage, reread);
            AssertVectorAddWorks(context, rebuilt);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void AssertVectorAddWorks(CudaContext context, CudaModule module)
    {
        float[] a = [1f, 2f, 3f];
        using var deviceA = DeviceBuffer<float>.Upload(context, a);
        using var deviceC = DeviceBuffer<float>.Allocate(context, 3);
        deviceC.FillBytes(0xFF);
        module.GetFunction("vector_add").Launch(1, 32, 0, null, deviceA, deviceA, deviceC, 3L);
        Assert.Equal([2f, 4f, 6f], deviceC.ToArray());
    }
}
