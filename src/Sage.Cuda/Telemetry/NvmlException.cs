namespace Sage.Cuda.Telemetry;

/// <summary>An NVML call failed: "&lt;call&gt; failed: nvmlReturn N (&lt;NVML's text&gt;)".</summary>
public sealed class NvmlException(int resultCode, string description, string call)
    : Exception($"{call} failed: {description}")
{
    /// <summary>The nvmlReturn_t value.</summary>
    public int ResultCode { get; } = resultCode;

    /// <summary>The failing call as written in our source.</summary>
    public string Call { get; } = call;
}
