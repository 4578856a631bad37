using System.Runtime.InteropServices;

namespace Sage.Cuda.Interop;

/// <summary>
/// The NVML entry points of <see cref="Telemetry.DeviceTelemetry"/> (libnvidia-ml.so.1, shipped with the driver), bound
/// by exported symbol. Every method returns the raw nvmlReturn_t; 0 is NVML_SUCCESS.
/// </summary>
internal static unsafe partial class Nvml
{
    public const string LibraryName = "libnvidia-ml.so.1";

    public const int Success = 0;
    public const int ClockSm = 1; // NVML_CLOCK_SM
    public const uint FieldPowerInstant = 186; // NVML_FI_DEV_POWER_INSTANT: board power now, in mW (unsigned int value)

    [LibraryImport(LibraryName)] public static partial int nvmlInit_v2();
    [LibraryImport(LibraryName)] public static partial int nvmlShutdown();
    [LibraryImport(LibraryName)] public static partial byte* nvmlErrorString(int result);
    [LibraryImport(LibraryName)] public static partial int nvmlDeviceGetHandleByPciBusId_v2(byte* pciBusId, nint* device);
    [LibraryImport(LibraryName)] public static partial int nvmlDeviceGetClockInfo(nint device, int type, uint* clockMHz);
    [LibraryImport(LibraryName)] public static partial int nvmlDeviceGetPowerUsage(nint device, uint* milliwatts);
    [LibraryImport(LibraryName)] public static partial int nvmlDeviceGetCurrentClocksThrottleReasons(nint device, ulong* reasons);
    [LibraryImport(LibraryName)] public static partial int nvmlDeviceGetFieldValues(nint device, int valuesCount, NvmlFieldValue* values);

    /// <summary>"NVML_ERROR_… text" for a failed call, e.g. for exception messages.</summary>
    public static string Describe(int result)
    {
        try
        {
            byte* text = nvmlErrorString(result);
            return text == null ? $"nvmlReturn {result}" : $"nvmlReturn {result} ({Marshal.PtrToStringUTF8((nint)text)})";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return $"nvmlReturn {result}";
        }
    }
}
