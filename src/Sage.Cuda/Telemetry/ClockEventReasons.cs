namespace Sage.Cuda.Telemetry;

/// <summary>
/// Why the GPU runs below its maximum clock (NVML's clocks event / throttle reason bits). <see cref="SwPowerCap"/> is
/// the driver holding power at the board's limit by lowering clocks and voltage: the sustained attention loop on the
/// H100 runs there (docs/results/gpu-run-session7-2026-11-26.md).
/// </summary>
[Flags]
public enum ClockEventReasons : ulong
{
    None = 0,
    GpuIdle = 0x1,
    ApplicationsClocksSetting = 0x2,
    SwPowerCap = 0x4,
    HwSlowdown = 0x8,
    SyncBoost = 0x10,
    SwThermalSlowdown = 0x20,
    HwThermalSlowdown = 0x40,
    HwPowerBrakeSlowdown = 0x80,
    DisplayClockSetting = 0x100,
}
