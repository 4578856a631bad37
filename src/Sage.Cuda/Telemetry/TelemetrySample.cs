namespace Sage.Cuda.Telemetry;

/// <summary>One reading of the device: SM clock, board power (the driver's reported draw, as nvidia-smi's power.draw) and the clock event reasons.</summary>
public readonly record struct TelemetrySample(double SmClockMHz, double PowerWatts, ClockEventReasons Reasons);
