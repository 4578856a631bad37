using System.Runtime.InteropServices;

namespace Sage.Cuda.Interop;

/// <summary>
/// CUlaunchConfig of cuda.h (CUDA 12.0+): grid, block, dynamic shared memory, stream and an array of launch attributes.
/// Sequential layout gives C's: seven 32-bit fields (28 bytes), the stream handle at offset 32, the attribute pointer at
/// 40, the count at 48; 56 bytes in all.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CuLaunchConfig
{
    public uint GridDimX, GridDimY, GridDimZ;
    public uint BlockDimX, BlockDimY, BlockDimZ;
    public uint SharedMemBytes;
    public nint Stream;
    public CuLaunchAttribute* Attributes;
    public uint AttributeCount;
}

/// <summary>
/// CUlaunchAttribute of cuda.h: a 32-bit CUlaunchAttributeID padded to 8 bytes, then the 64-byte CUlaunchAttributeValue
/// union (72 bytes). Only the attributes we set have fields here.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 72)]
internal struct CuLaunchAttribute
{
    /// <summary>CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION.</summary>
    public const int ProgrammaticStreamSerialization = 6;

    [FieldOffset(0)] public int Id;

    /// <summary>The union's first int: programmaticStreamSerializationAllowed for <see cref="ProgrammaticStreamSerialization"/>.</summary>
    [FieldOffset(8)] public int Value;
}
