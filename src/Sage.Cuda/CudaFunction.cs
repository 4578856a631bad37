using Sage.Cuda.Interop;

namespace Sage.Cuda;

/// <summary>
/// A kernel in a loaded <see cref="CudaModule"/>. Launches check the argument list against the kernel's own
/// parameter sizes (cuFuncGetParamInfo, driver 12.4+), so a missing or mistyped argument is an
/// <see cref="ArgumentException"/> rather than a kernel reading garbage.
/// </summary>
public sealed unsafe class CudaFunction
{
    private readonly nint function;
    private int[]? parameterSizes;
    private bool parameterSizesQueried;
    private readonly Lock parameterSizesGate = new();
    private int reservedSharedMemory = -1;
    private readonly Lock reserveGate = new();

    internal CudaFunction(CudaModule module, string name, nint function)
    {
        Module = module;
        Name = name;
        this.function = function;
    }

    public CudaModule Module { get; }

    public string Name { get; }

    /// <summary>Registers per thread of the compiled kernel.</summary>
    public int RegistersPerThread => GetAttribute(CuFunctionAttribute.NumRegisters);

    /// <summary>Local memory per thread in bytes; nonzero usually means register spills.</summary>
    public int LocalMemoryBytes => GetAttribute(CuFunctionAttribute.LocalSizeBytes);

    /// <summary>Statically declared shared memory in bytes.</summary>
    public int StaticSharedMemoryBytes => GetAttribute(CuFunctionAttribute.SharedSizeBytes);

    /// <summary>Most threads a block of this kernel may have.</summary>
    public int MaxThreadsPerBlock => GetAttribute(CuFunctionAttribute.MaxThreadsPerBlock);

    /// <summary>
    /// Dynamic shared memory a launch may ask for. Above 48 KiB a kernel must opt in by raising this
    /// (up to <see cref="CudaDeviceInfo.MaxSharedMemoryPerBlockOptIn"/> minus its static shared memory).
    /// </summary>
    public int MaxDynamicSharedMemory
    {
        get => GetAttribute(CuFunctionAttribute.MaxDynamicSharedSizeBytes);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Module.Context.MakeCurrent();
            CuResult result = CuDriver.cuFuncSetAttribute(Handle, CuFunctionAttribute.MaxDynamicSharedSizeBytes, value);
            if (result != CuResult.CUDA_SUCCESS)
                throw CudaCheck.Failure(result, $"cuFuncSetAttribute({Name}, MAX_DYNAMIC_SHARED_SIZE_BYTES, {value})",
                    $"the device allows {Module.Context.Device.MaxSharedMemoryPerBlockOptIn} bytes per block including {StaticSharedMemoryBytes} static");
        }
    }

    /// <summary>
    /// Preferred share of the SM's unified L1/shared memory given to shared memory, in percent (a hint the driver may
    /// override; -1 = no preference). Kernels meant to run several CTAs per SM with large shared memory ask for 100.
    /// </summary>
    public int PreferredSharedMemoryCarveout
    {
        get => GetAttribute(CuFunctionAttribute.PreferredSharedMemoryCarveout);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, -1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 100);
            Module.Context.MakeCurrent();
            CuResult result = CuDriver.cuFuncSetAttribute(Handle, CuFunctionAttribute.PreferredSharedMemoryCarveout, value);
            if (result != CuResult.CUDA_SUCCESS)
                throw CudaCheck.Failure(result, $"cuFuncSetAttribute({Name}, PREFERRED_SHARED_MEMORY_CARVEOUT, {value})");
        }
    }

    /// <summary>
    /// Prepares launches with up to <paramref name="bytes"/> of dynamic shared memory, once per function (under a lock:
    /// concurrent first launches): raises <see cref="MaxDynamicSharedMemory"/> where it is lower, asks for the largest
    /// shared-memory carveout (the kernels that reserve much shared memory want several CTAs, or one large one, per SM),
    /// and queries <see cref="ParameterSizes"/> here rather than in racing launches. Later calls with no more bytes cost a
    /// comparison.
    /// </summary>
    public void ReserveSharedMemory(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (Volatile.Read(ref reservedSharedMemory) >= bytes) return;
        lock (reserveGate)
        {
            if (reservedSharedMemory >= bytes) return;
            if (MaxDynamicSharedMemory < bytes) MaxDynamicSharedMemory = bytes;
            PreferredSharedMemoryCarveout = 100;
            _ = ParameterSizes;
            Volatile.Write(ref reservedSharedMemory, bytes);
        }
    }

    /// <summary>
    /// The kernel's parameter sizes in bytes, in order, or null when the driver cannot tell (before 12.4).
    /// </summary>
    public IReadOnlyList<int>? ParameterSizes
    {
        get
        {
            if (!Volatile.Read(ref parameterSizesQueried))
            {
                lock (parameterSizesGate) // concurrent first launches from several threads
                {
                    if (!parameterSizesQueried)
                    {
                        parameterSizes = QueryParameterSizes();
                        Volatile.Write(ref parameterSizesQueried, true);
                    }
                }
            }
            return parameterSizes;
        }
    }

    private nint Handle
    {
        get
        {
            _ = Module.RawHandle; // throws ObjectDisposedException once the module is gone
            return function;
        }
    }

    /// <summary>
    /// Queues the kernel on <paramref name="stream"/> (null: the legacy default stream). Launch configuration
    /// errors throw here; faults inside the kernel surface at the next synchronising call.
    /// </summary>
    public void Launch(Dim3 grid, Dim3 block, int sharedMemoryBytes, CudaStream? stream, params KernelArgument[] args) =>
        LaunchCore(grid, block, sharedMemoryBytes, stream, dependent: false, args);

    /// <summary>
    /// As <see cref="Launch(Dim3, Dim3, int, CudaStream?, KernelArgument[])"/>; with <paramref name="dependent"/>, as a
    /// programmatic dependent launch (CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION): the grid may start while the
    /// previous kernel of the stream still runs, once every CTA of that kernel has executed
    /// <c>griddepcontrol.launch_dependents</c> (or ended). Nothing then orders this kernel's reads after that kernel's
    /// writes: the kernel must run <c>griddepcontrol.wait</c> before it reads them. Work queued after this launch still
    /// waits for it as usual. For call sites whose schedule decides at run time.
    /// </summary>
    public void Launch(Dim3 grid, Dim3 block, int sharedMemoryBytes, CudaStream? stream, bool dependent, KernelArgument[] args) =>
        LaunchCore(grid, block, sharedMemoryBytes, stream, dependent, args);

    private void LaunchCore(Dim3 grid, Dim3 block, int sharedMemoryBytes, CudaStream? stream, bool dependent, KernelArgument[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (grid.Volume == 0) throw new ArgumentOutOfRangeException(nameof(grid), grid, "every grid dimension must be at least 1");
        if (block.Volume == 0) throw new ArgumentOutOfRangeException(nameof(block), block, "every block dimension must be at least 1");
        ArgumentOutOfRangeException.ThrowIfNegative(sharedMemoryBytes);
        CheckArguments(args);

        ulong* values = stackalloc ulong[Math.Max(args.Length, 1)];
        void** pointers = stackalloc void*[Math.Max(args.Length, 1)];
        // Parameters larger than 8 bytes (tensor maps) are copied to a 64-byte aligned block, each at a multiple of 64
        // bytes: the driver copies kernelParams[i] by the parameter's size, and a CUtensorMap is 64-byte aligned in C.
        int blockWords = 0;
        foreach (var a in args)
            if (a.Words is { } w) blockWords += (w.Length + 7) & ~7;
        ulong* blocks = stackalloc ulong[blockWords + 8];
        ulong* aligned = (ulong*)(((nuint)blocks + 63) & ~(nuint)63);
        int next = 0;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i].Words is { } words)
            {
                words.CopyTo(new Span<ulong>(aligned + next, words.Length));
                pointers[i] = aligned + next;
                next += (words.Length + 7) & ~7;
            }
            else
            {
                values[i] = args[i].Bits;
                pointers[i] = &values[i];
            }
        }

        Module.Context.MakeCurrent();
        nint streamHandle = stream?.RawHandle ?? 0;
        CuResult result;
        if (dependent)
        {
            var attribute = new CuLaunchAttribute { Id = CuLaunchAttributeId.ProgrammaticStreamSerialization, Value = 1 };
            var config = new CuLaunchConfig
            {
                GridX = grid.X, GridY = grid.Y, GridZ = grid.Z, BlockX = block.X, BlockY = block.Y, BlockZ = block.Z,
                SharedMemoryBytes = (uint)sharedMemoryBytes, Stream = streamHandle, Attributes = &attribute, AttributeCount = 1,
            };
            result = CuDriver.cuLaunchKernelEx(&config, Handle, pointers, null);
        }
        else
        {
            result = CuDriver.cuLaunchKernel(
                Handle, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z,
                (uint)sharedMemoryBytes, streamHandle, pointers, null);
        }
        GC.KeepAlive(stream);
        if (result != CuResult.CUDA_SUCCESS)
            // The call's name is formatted only here: a launch that succeeds allocates nothing on the managed heap.
            throw CudaCheck.Failure(result, dependent ? $"cuLaunchKernelEx({Name}, programmatic stream serialization)" : $"cuLaunchKernel({Name})",
                $"grid {grid}, block {block}, {sharedMemoryBytes} bytes of dynamic shared memory (limit {MaxDynamicSharedMemory})");
    }

    private void CheckArguments(KernelArgument[] args)
    {
        var sizes = ParameterSizes;
        if (sizes is null) return;
        if (sizes.Count != args.Length)
            throw new ArgumentException(
                $"kernel '{Name}' takes {sizes.Count} parameters ({string.Join(", ", sizes.Select(s => $"{s} bytes"))}) but {args.Length} arguments were given",
                nameof(args));
        for (int i = 0; i < args.Length; i++)
        {
            if (sizes[i] != args[i].SizeInBytes)
                throw new ArgumentException(
                    $"argument {i} of kernel '{Name}' is a {args[i].TypeName} of {args[i].SizeInBytes} bytes but the parameter takes {sizes[i]} bytes",
                    nameof(args));
        }
    }

    private int[]? QueryParameterSizes()
    {
        var sizes = new List<int>();
        try
        {
            for (nuint index = 0; ; index++)
            {
                nuint offset, size;
                CuResult result = CuDriver.cuFuncGetParamInfo(Handle, index, &offset, &size);
                if (result == CuResult.CUDA_ERROR_INVALID_VALUE) return [.. sizes]; // past the last parameter
                if (result != CuResult.CUDA_SUCCESS) return null; // this driver cannot tell
                sizes.Add((int)size);
            }
        }
        catch (EntryPointNotFoundException)
        {
            return null; // driver older than CUDA 12.4
        }
    }

    private int GetAttribute(CuFunctionAttribute attribute)
    {
        Module.Context.MakeCurrent();
        int value;
        CudaCheck.ThrowIfFailed(CuDriver.cuFuncGetAttribute(&value, attribute, Handle));
        return value;
    }
}
