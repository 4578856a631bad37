using System.Text;
using Sage.Cuda.Handles;
using Sage.Cuda.Interop;

namespace Sage.Cuda;

/// <summary>A loaded cubin or PTX image (cuModuleLoadDataEx) and the kernels in it.</summary>
public sealed unsafe class CudaModule : IDisposable
{
    private const int JitLogBytes = 16 * 1024;
    private readonly CuModuleHandle handle;
    private readonly Dictionary<string, CudaFunction> functions = new(StringComparer.Ordinal);
    private readonly Lock functionsGate = new();

    private CudaModule(CudaContext context, CuModuleHandle handle, CompiledKernel? compiled)
    {
        Context = context;
        this.handle = handle;
        Compiled = compiled;
    }

    public CudaContext Context { get; }

    /// <summary>How the image was produced (null when loaded from raw bytes).</summary>
    public CompiledKernel? Compiled { get; }

    /// <summary>True when the image came from the on-disk kernel cache rather than a fresh NVRTC compile.</summary>
    public bool LoadedFromCache => Compiled?.FromCache ?? false;

    internal nint RawHandle
    {
        get
        {
            ObjectDisposedException.ThrowIf(handle.IsClosed, this);
            return handle.DangerousGetHandle();
        }
    }

    /// <summary>Loads a compiled kernel image into <paramref name="context"/>.</summary>
    public static CudaModule Load(CudaContext context, CompiledKernel compiled)
    {
        ArgumentNullException.ThrowIfNull(compiled);
        return Load(context, compiled.Image, compiled.Kind, compiled);
    }

    /// <summary>
    /// Loads a cubin, or NUL-terminated PTX text (the driver JIT-compiles it; its error log then goes into the
    /// exception).
    /// </summary>
    public static CudaModule Load(CudaContext context, ReadOnlySpan<byte> image, KernelImageKind kind) =>
        Load(context, image, kind, null);

    private static CudaModule Load(CudaContext context, ReadOnlySpan<byte> image, KernelImageKind kind, CompiledKernel? compiled)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (image.IsEmpty) throw new ArgumentException("the kernel image is empty", nameof(image));
        if (kind == KernelImageKind.Ptx && image[^1] != 0)
            throw new ArgumentException("PTX text must end with a NUL byte, as nvrtcGetPTX returns it", nameof(image));

        context.MakeCurrent();
        byte* log = stackalloc byte[JitLogBytes];
        log[0] = 0;
        CuJitOption* options = stackalloc CuJitOption[] { CuJitOption.ErrorLogBuffer, CuJitOption.ErrorLogBufferSizeBytes };
        nint* values = stackalloc nint[] { (nint)log, JitLogBytes };
        nint module;
        CuResult result;
        // Relaxed for this call: a lazily loaded kernel's first launch may come inside the caller's stream capture, whose
        // global or thread-local mode refuses module loads; a load queues nothing on any stream (RelaxedCaptureScope).
        using (RelaxedCaptureScope.Enter())
        {
            fixed (byte* data = image)
                result = CuDriver.cuModuleLoadDataEx(&module, data, 2, options, values);
        }
        if (result != CuResult.CUDA_SUCCESS)
        {
            string jitLog = Encoding.UTF8.GetString(log, IndexOfNul(log, JitLogBytes)).Trim();
            string what = compiled is null ? $"a {kind} image of {image.Length} bytes" : $"'{compiled.ProgramName}' ({kind}, {compiled.Architecture})";
            throw CudaCheck.Failure(result, "cuModuleLoadDataEx", jitLog.Length == 0 ? $"loading {what}" : $"loading {what}; JIT log:\n{jitLog}");
        }
        return new CudaModule(context, new CuModuleHandle(context.Handle, module), compiled);
    }

    /// <summary>The kernel named <paramref name="name"/> (an extern "C" name, or the mangled C++ name).</summary>
    public CudaFunction GetFunction(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        lock (functionsGate)
        {
            if (functions.TryGetValue(name, out var cached)) return cached;
            Context.MakeCurrent();
            byte[] utf8 = Encoding.UTF8.GetBytes(name + "\0");
            nint function;
            CuResult result;
            fixed (byte* p = utf8) result = CuDriver.cuModuleGetFunction(&function, RawHandle, p);
            if (result != CuResult.CUDA_SUCCESS)
            {
                string program = Compiled is null ? "the module" : $"'{Compiled.ProgramName}'";
                throw CudaCheck.Failure(result, $"cuModuleGetFunction(\"{name}\")",
                    $"no kernel '{name}' in {program}; declare it extern \"C\" __global__ or pass the mangled name");
            }
            var created = new CudaFunction(this, name, function);
            functions.Add(name, created);
            return created;
        }
    }

    /// <summary>
    /// A copy of the <c>__device__</c> array <paramref name="name"/> of unmanaged <typeparamref name="T"/>, or null when
    /// the module has no such symbol (a probe compiled out). Synchronous: the context finishes its queued work first, so
    /// the copy sees every kernel launched before it.
    /// </summary>
    public T[]? ReadGlobal<T>(string name) where T : unmanaged
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Context.MakeCurrent();
        byte[] utf8 = Encoding.UTF8.GetBytes(name + "\0");
        ulong pointer;
        nuint bytes;
        CuResult result;
        fixed (byte* p = utf8) result = CuDriver.cuModuleGetGlobal_v2(&pointer, &bytes, RawHandle, p);
        if (result == CuResult.CUDA_ERROR_NOT_FOUND) return null;
        if (result != CuResult.CUDA_SUCCESS) throw CudaCheck.Failure(result, $"cuModuleGetGlobal(\"{name}\")", "reading a __device__ symbol");
        var values = new T[(long)bytes / sizeof(T)];
        Context.Synchronize();
        fixed (T* destination = values)
            result = CuDriver.cuMemcpyDtoH_v2(destination, pointer, (nuint)(values.LongLength * sizeof(T)));
        if (result != CuResult.CUDA_SUCCESS) throw CudaCheck.Failure(result, "cuMemcpyDtoH", $"copying __device__ {name}");
        return values;
    }

    public void Dispose() => handle.Dispose();

    private static int IndexOfNul(byte* text, int length)
    {
        for (int i = 0; i < length; i++) if (text[i] == 0) return i;
        return length;
    }
}
