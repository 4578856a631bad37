using Sage.Cuda.Interop;

namespace Sage.Cuda;

/// <summary>
/// Compiles <see cref="KernelSource"/>s with NVRTC for the device's own architecture and loads them,
/// keeping compiled images in a <see cref="KernelCache"/>.
/// <para>Default options: the target, <c>-std=c++17</c>, <c>--fmad=false</c> and the CUDA header folders.
/// Never <c>--use_fast_math</c> (it is refused): the emulator reproduces the kernels bit for bit, so every
/// approximation must be written out in the kernel. For the same reason floating-point contraction is off:
/// a kernel that wants a fused multiply-add writes <c>fmaf</c>/<c>__fmaf_rn</c>, which the emulator mirrors,
/// instead of the compiler fusing wherever it likes. A kernel may pass <c>--fmad=true</c> to opt back in.</para>
/// </summary>
public sealed class KernelCompiler
{
    /// <summary>A compiler with the default disk cache (<see cref="KernelCache.DefaultDirectory"/>).</summary>
    public KernelCompiler() : this(KernelCache.Default)
    {
    }

    /// <summary>A compiler with the given cache; null compiles every time.</summary>
    public KernelCompiler(KernelCache? cache) => Cache = cache;

    public KernelCache? Cache { get; }

    /// <summary>Compiles (or fetches from the cache) and loads <paramref name="source"/> into <paramref name="context"/>.</summary>
    public CudaModule Load(CudaContext context, KernelSource source, IEnumerable<string>? extraOptions = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var extra = extraOptions?.ToList();
        var compiled = Compile(source, context.Device.Architecture, extra);
        try
        {
            return CudaModule.Load(context, compiled);
        }
        catch (CudaException) when (compiled.FromCache)
        {
            // The checksum proves the bytes are the ones written, yet the driver refused them (a driver
            // change can do that to a PTX entry). Rebuild once rather than trust the entry again.
            Cache?.Delete(compiled.CacheKey);
            return CudaModule.Load(context, Compile(source, context.Device.Architecture, extra, useCache: false));
        }
    }

    /// <summary>Compiles <paramref name="source"/> for <paramref name="architecture"/> ("sm_90a") without loading it; needs NVRTC but no GPU.</summary>
    public CompiledKernel Compile(KernelSource source, string architecture, IEnumerable<string>? extraOptions = null) =>
        Compile(source, architecture, extraOptions?.ToList(), useCache: true);

    private CompiledKernel Compile(KernelSource source, string architecture, List<string>? extraOptions, bool useCache)
    {
        ArgumentNullException.ThrowIfNull(source);
        NvrtcLibrary.EnsureLoaded();
        string version = NvrtcLibrary.Version;
        var target = KernelTarget.Choose(architecture, NvrtcLibrary.SupportedArchitectures, version);
        var options = BuildOptions(target.Option, NvrtcLibrary.IncludeDirectories, extraOptions);
        string key = KernelCacheKey.Compute(source.Hash, options, target.Option, version);

        string? rejection = null;
        if (useCache && Cache is not null)
        {
            if (Cache.TryRead(key, out var kind, out byte[] cached, out rejection) && kind == target.Kind)
                return new CompiledKernel(source.Name, target.Option, kind, cached, options, key, version, FromCache: true, Log: "");
        }

        var (image, log) = NvrtcProgram.Compile(source, options, target.Kind);
        Cache?.Write(key, target.Kind, image);
        return new CompiledKernel(source.Name, target.Option, target.Kind, image, options, key, version, FromCache: false, log)
        {
            CacheRejection = rejection,
        };
    }

    /// <summary>The NVRTC options for a target; the order is fixed because it is part of the cache key.</summary>
    internal static List<string> BuildOptions(string target, IReadOnlyList<string> includeDirectories, IReadOnlyList<string>? extraOptions)
    {
        var extra = extraOptions ?? [];
        foreach (string option in extra)
        {
            string bare = option.TrimStart('-');
            if (bare.StartsWith("use_fast_math", StringComparison.Ordinal))
                throw new ArgumentException($"option '{option}' is refused: our kernels must keep exact IEEE arithmetic so the emulator can match them bit for bit", nameof(extraOptions));
            if (bare.StartsWith("gpu-architecture", StringComparison.Ordinal) || bare.StartsWith("arch", StringComparison.Ordinal))
                throw new ArgumentException($"option '{option}' is refused: the architecture comes from the device ({target})", nameof(extraOptions));
        }

        var options = new List<string> { $"--gpu-architecture={target}", "-std=c++17" };
        if (!extra.Any(o => o.TrimStart('-').StartsWith("fmad", StringComparison.Ordinal))) options.Add("--fmad=false");
        foreach (string directory in includeDirectories) options.Add($"--include-path={directory}");
        options.AddRange(extra);
        return options;
    }
}
