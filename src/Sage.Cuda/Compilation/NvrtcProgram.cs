using System.Text;
using Sage.Cuda.Interop;

namespace Sage.Cuda;

/// <summary>One NVRTC compile: create the program with its in-memory headers, compile, fetch log and image, destroy.</summary>
internal static unsafe class NvrtcProgram
{
    public static (byte[] Image, string Log) Compile(KernelSource source, IReadOnlyList<string> options, KernelImageKind kind)
    {
        using var headerCode = new NativeUtf8Strings([.. source.Headers.Select(h => h.Code)]);
        using var headerNames = new NativeUtf8Strings([.. source.Headers.Select(h => h.IncludeName)]);
        using var optionText = new NativeUtf8Strings(options);
        byte* code = NativeUtf8Strings.Copy(source.Code);
        byte* name = NativeUtf8Strings.Copy(source.Name);
        nint program = 0;
        try
        {
            NvrtcCheck.ThrowIfFailed(Nvrtc.nvrtcCreateProgram(
                &program, code, name, headerCode.Count, headerCode.Pointers, headerNames.Pointers));
            NvrtcResult compiled = Nvrtc.nvrtcCompileProgram(program, optionText.Count, optionText.Pointers);
            string log = ReadLog(program);
            if (compiled != NvrtcResult.NVRTC_SUCCESS)
                throw NvrtcException.CompilationFailed(source.Name, NvrtcCheck.ErrorName(compiled), log, options);
            return (kind == KernelImageKind.Cubin ? ReadCubin(program) : ReadPtx(program), log);
        }
        finally
        {
            if (program != 0) Nvrtc.nvrtcDestroyProgram(&program);
            System.Runtime.InteropServices.NativeMemory.Free(code);
            System.Runtime.InteropServices.NativeMemory.Free(name);
        }
    }

    private static string ReadLog(nint program)
    {
        nuint size;
        NvrtcCheck.ThrowIfFailed(Nvrtc.nvrtcGetProgramLogSize(program, &size));
        if (size <= 1) return "";
        var log = new byte[(int)size];
        fixed (byte* p = log) NvrtcCheck.ThrowIfFailed(Nvrtc.nvrtcGetProgramLog(program, p));
        return Encoding.UTF8.GetString(log, 0, log.Length - 1).TrimEnd();
    }

    private static byte[] ReadCubin(nint program)
    {
        nuint size;
        NvrtcCheck.ThrowIfFailed(Nvrtc.nvrtcGetCUBINSize(program, &size));
        var image = new byte[(int)size];
        fixed (byte* p = image) NvrtcCheck.ThrowIfFailed(Nvrtc.nvrtcGetCUBIN(program, p));
        return image;
    }

    private static byte[] ReadPtx(nint program)
    {
        nuint size; // includes the terminating NUL, which cuModuleLoadData needs
        NvrtcCheck.ThrowIfFailed(Nvrtc.nvrtcGetPTXSize(program, &size));
        var image = new byte[(int)size];
        fixed (byte* p = image) NvrtcCheck.ThrowIfFailed(Nvrtc.nvrtcGetPTX(program, p));
        return image;
    }
}
