using System.Text;
using Sage.Cuda.Interop;

namespace Sage.Cuda;

/// <summary>Device discovery.</summary>
public static unsafe class CudaDevice
{
    /// <summary>
    /// Every device the driver sees. Throws <see cref="CudaUnavailableException"/> when the driver is missing or
    /// unusable; returns an empty list when the driver works but no device is present.
    /// </summary>
    public static IReadOnlyList<CudaDeviceInfo> Enumerate()
    {
        try
        {
            CudaDriverLibrary.EnsureInitialized();
        }
        catch (CudaUnavailableException e) when (e.Missing == CudaComponent.Device)
        {
            return [];
        }
        int count;
        CudaCheck.ThrowIfFailed(CuDriver.cuDeviceGetCount(&count));
        var devices = new CudaDeviceInfo[count];
        for (int i = 0; i < count; i++) devices[i] = Describe(i);
        return devices;
    }

    /// <summary>
    /// Whether this process can run our kernels: the driver loads and initialises, at least one device is
    /// present and NVRTC is found. Otherwise <paramref name="reason"/> says what is missing and where we looked.
    /// </summary>
    public static bool IsAvailable(out string reason)
    {
        try
        {
            CudaDriverLibrary.EnsureInitialized();
            int count;
            CudaCheck.ThrowIfFailed(CuDriver.cuDeviceGetCount(&count));
            if (count == 0)
            {
                reason = "no CUDA device: the driver reports 0 devices";
                return false;
            }
            NvrtcLibrary.EnsureLoaded();
            reason = "";
            return true;
        }
        catch (CudaUnavailableException e)
        {
            reason = e.Message;
            return false;
        }
        catch (CudaException e)
        {
            reason = e.Message;
            return false;
        }
    }

    internal static CudaDeviceInfo Describe(int ordinal)
    {
        int device;
        CudaCheck.ThrowIfFailed(CuDriver.cuDeviceGet(&device, ordinal));

        byte* name = stackalloc byte[256];
        CudaCheck.ThrowIfFailed(CuDriver.cuDeviceGetName(name, 256, device));
        int length = 0;
        while (length < 256 && name[length] != 0) length++;

        nuint totalBytes;
        CudaCheck.ThrowIfFailed(CuDriver.cuDeviceTotalMem_v2(&totalBytes, device));

        int driverVersion;
        CudaCheck.ThrowIfFailed(CuDriver.cuDriverGetVersion(&driverVersion));

        return new CudaDeviceInfo(
            ordinal,
            Encoding.UTF8.GetString(name, length),
            Attribute(device, CuDeviceAttribute.ComputeCapabilityMajor),
            Attribute(device, CuDeviceAttribute.ComputeCapabilityMinor),
            Attribute(device, CuDeviceAttribute.MultiprocessorCount),
            (long)totalBytes,
            FormatDriverVersion(driverVersion))
        {
            MaxSharedMemoryPerBlockOptIn = Attribute(device, CuDeviceAttribute.MaxSharedMemoryPerBlockOptin),
        };
    }

    /// <summary>cuDriverGetVersion encodes 1000*major + 10*minor: 13000 is "13.0", 12080 is "12.8".</summary>
    internal static string FormatDriverVersion(int encoded) => $"{encoded / 1000}.{encoded % 1000 / 10}";

    private static int Attribute(int device, CuDeviceAttribute attribute)
    {
        int value;
        CudaCheck.ThrowIfFailed(CuDriver.cuDeviceGetAttribute(&value, attribute, device));
        return value;
    }
}
