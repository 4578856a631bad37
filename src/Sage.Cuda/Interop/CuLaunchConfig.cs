using System.Runtime.InteropServices;

namespace Sage.Cuda.Interop;

/// <summary>CUlaunchConfig (cuda.h): grid, block, dynamic shared memory, stream and the attribute array (56 bytes on x64).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CuLaunchConfig
{
    public uint GridX, GridY, GridZ, BlockX, BlockY, BlockZ, SharedMemoryBytes;
    public nint Stream;
    public CuLaunchAttribute* Attributes;
    public uint AttributeCount;
}

/// <summary>CUlaunchAttribute (cuda.h): a 4-byte id, 4 bytes of padding, then the 64-byte CUlaunchAttributeValue union.</summary>
[StructLayout(LayoutKind.Explicit, Size = 72)]
internal struct CuLaunchAttribute
{
    [FieldOffset(0)] public CuLaunchAttributeId Id;

    /// <summary>The union's first int: for <see cref="CuLaunchAttributeId.ProgrammaticStreamSerialization"/>, 1 = allowed.</summary>
    [FieldOffset(8)] public int Value;
}

/// <summary>CUlaunchAttributeID values used here.</summary>
internal enum CuLaunchAttributeId
{
    ProgrammaticStreamSerialization = 6,
}
