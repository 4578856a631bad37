namespace Sage.Cuda.Telemetry;

/// <summary>Which NVML power reading <see cref="DeviceTelemetry"/> samples.</summary>
public enum PowerReading
{
    /// <summary>NVML_FI_DEV_POWER_INSTANT (nvmlDeviceGetFieldValues): the board power at the reading.</summary>
    Instant,

    /// <summary>nvmlDeviceGetPowerUsage: on Ampere and newer a trailing one-second average (lags a bench's start).</summary>
    OneSecondAverage,
}
