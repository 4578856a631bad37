using System.Runtime.InteropServices;

namespace Sage.Cuda.Interop;

/// <summary>
/// nvmlFieldValue_t (nvml.h): the request (<see cref="FieldId"/>, <see cref="ScopeId"/>) and the answer of one field of
/// nvmlDeviceGetFieldValues. 40 bytes: two uints, two long longs, the value type and the per-field nvmlReturn_t, then
/// the 8-byte value union, read here as its low 32 bits (uiVal) or all 64.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NvmlFieldValue
{
    public uint FieldId;
    public uint ScopeId;
    public long Timestamp;
    public long LatencyMicroseconds;
    public int ValueType;
    public int Result;
    public ulong Value;

    /// <summary>The union's unsigned int member (uiVal): its low 32 bits on a little-endian machine.</summary>
    public readonly uint UnsignedValue => (uint)Value;
}
