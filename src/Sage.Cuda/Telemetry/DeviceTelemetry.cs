using System.Text;
using Sage.Cuda.Interop;

namespace Sage.Cuda.Telemetry;

/// <summary>
/// SM clock, board power and clock event reasons of one CUDA device through NVML, read on a background thread while a
/// measurement runs (<see cref="Measure{T}"/>). The device is found by its PCI bus id, so CUDA_VISIBLE_DEVICES
/// renumbering does not matter. Why: the sustained attention loop is power-capped on the H100 (its clock falls from
/// 1980 to ≈ 1650 MHz), so a speed without the clock it ran at cannot be compared across runs or machines.
/// Readings only; nothing here changes a clock or a limit.
/// </summary>
public sealed unsafe class DeviceTelemetry : IDisposable
{
    private readonly nint device;
    private int disposed;

    private DeviceTelemetry(nint device, string pciBusId, TimeSpan interval, PowerReading power)
    {
        this.device = device;
        PciBusId = pciBusId;
        Interval = interval;
        Power = power;
    }

    /// <summary>The device's PCI bus id as CUDA reports it, e.g. "0000:1B:00.0".</summary>
    public string PciBusId { get; }

    /// <summary>Time between two readings in <see cref="Measure{T}"/>.</summary>
    public TimeSpan Interval { get; }

    /// <summary>
    /// Which power reading the samples carry: the instantaneous field where the driver has it (on the H100 the plain
    /// nvmlDeviceGetPowerUsage is a trailing 1 s average, which read 280 W during power-capped kernel repetitions that
    /// followed an idle second: session 8), else that average.
    /// </summary>
    public PowerReading Power { get; }

    /// <summary>
    /// Opens NVML for the device of <paramref name="context"/>. Throws <see cref="CudaUnavailableException"/>
    /// (<see cref="CudaComponent.Nvml"/>) when libnvidia-ml.so.1 cannot be loaded and <see cref="NvmlException"/> when a
    /// call fails. <paramref name="interval"/>: between readings, 5 ms to 1 s (default 20 ms).
    /// </summary>
    public static DeviceTelemetry Open(CudaContext context, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var every = interval ?? TimeSpan.FromMilliseconds(20);
        if (every < TimeSpan.FromMilliseconds(5) || every > TimeSpan.FromSeconds(1))
            throw new ArgumentOutOfRangeException(nameof(interval), every, "expected 5 ms to 1 s between readings.");
        string busId = PciBusIdOf(context.Device.Ordinal);
        try
        {
            Check(Nvml.nvmlInit_v2(), "nvmlInit_v2()");
        }
        catch (DllNotFoundException e)
        {
            throw new CudaUnavailableException(CudaComponent.Nvml,
                $"NVML unavailable: {Nvml.LibraryName} could not be loaded ({LoaderMessage.Shorten(e.Message)}); it ships with the NVIDIA driver.",
                [$"{Nvml.LibraryName} via the loader path"], e);
        }
        try
        {
            nint handle;
            byte[] id = Encoding.ASCII.GetBytes(busId + "\0");
            fixed (byte* p = id) Check(Nvml.nvmlDeviceGetHandleByPciBusId_v2(p, &handle), $"nvmlDeviceGetHandleByPciBusId_v2(\"{busId}\")");
            var power = AnswersInstantPower(handle) ? PowerReading.Instant : PowerReading.OneSecondAverage;
            return new DeviceTelemetry(handle, busId, every, power);
        }
        catch
        {
            Nvml.nvmlShutdown();
            throw;
        }
    }

    /// <summary>One reading now.</summary>
    public TelemetrySample Read()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        uint clock, milliwatts;
        ulong reasons;
        Check(Nvml.nvmlDeviceGetClockInfo(device, Nvml.ClockSm, &clock), "nvmlDeviceGetClockInfo(NVML_CLOCK_SM)");
        if (Power == PowerReading.Instant) milliwatts = InstantPower(device);
        else Check(Nvml.nvmlDeviceGetPowerUsage(device, &milliwatts), "nvmlDeviceGetPowerUsage");
        Check(Nvml.nvmlDeviceGetCurrentClocksThrottleReasons(device, &reasons), "nvmlDeviceGetCurrentClocksThrottleReasons");
        return new TelemetrySample(clock, milliwatts / 1000.0, (ClockEventReasons)reasons);
    }

    /// <summary>
    /// Runs <paramref name="work"/> on this thread while another reads the device every <see cref="Interval"/>; returns
    /// the work's result and the summary of the readings (none when the work is shorter than the interval). A failed
    /// reading is rethrown after the work.
    /// </summary>
    public (T Result, TelemetrySummary Summary) Measure<T>(Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        var samples = new List<TelemetrySample>();
        Exception? failure = null;
        using var stop = new ManualResetEventSlim();
        var reader = new Thread(() =>
        {
            try
            {
                while (!stop.Wait(Interval)) samples.Add(Read());
            }
            catch (Exception e)
            {
                failure = e;
            }
        }) { IsBackground = true, Name = "sage telemetry" };
        reader.Start();
        T result;
        try
        {
            result = work();
        }
        finally
        {
            stop.Set();
            reader.Join();
        }
        if (failure is not null) throw failure;
        return (result, TelemetrySummary.From(samples));
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0) Nvml.nvmlShutdown(); // pairs with this instance's nvmlInit_v2
    }

    /// <summary>
    /// Whether the driver answers NVML_FI_DEV_POWER_INSTANT for the device: false where the call or the field's own result
    /// is not NVML_SUCCESS (a driver without that field).
    /// </summary>
    private static bool AnswersInstantPower(nint device)
    {
        var (call, field) = QueryInstantPower(device);
        return call == Nvml.Success && field.Result == Nvml.Success;
    }

    /// <summary>NVML_FI_DEV_POWER_INSTANT in mW, for a device whose driver answered it at <see cref="Open"/>.</summary>
    private static uint InstantPower(nint device)
    {
        const string name = "nvmlDeviceGetFieldValues(NVML_FI_DEV_POWER_INSTANT)";
        var (call, field) = QueryInstantPower(device);
        Check(call, name);
        Check(field.Result, name + " field result");
        return field.UnsignedValue;
    }

    private static (int Call, NvmlFieldValue Field) QueryInstantPower(nint device)
    {
        var field = new NvmlFieldValue { FieldId = Nvml.FieldPowerInstant };
        int call = Nvml.nvmlDeviceGetFieldValues(device, 1, &field);
        return (call, field);
    }

    private static string PciBusIdOf(int ordinal)
    {
        int dev;
        CudaCheck.ThrowIfFailed(CuDriver.cuDeviceGet(&dev, ordinal));
        byte* id = stackalloc byte[32];
        CudaCheck.ThrowIfFailed(CuDriver.cuDeviceGetPCIBusId(id, 32, dev));
        return new string((sbyte*)id);
    }

    private static void Check(int result, string call)
    {
        if (result != Nvml.Success) throw new NvmlException(result, Nvml.Describe(result), call);
    }
}
