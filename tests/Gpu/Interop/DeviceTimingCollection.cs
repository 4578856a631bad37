using Xunit;
namespace Sage.Gpu.Tests.Interop;

/// <summary>
/// Tests that time an empty event interval run alone: the driver maps streams onto a few hardware queues (8 by
/// default), so another test class's long kernel on a stream that shares the queue delays the events even of a
/// non-blocking stream (session 10, call 15: an empty interval of 768 ms while a throughput test ran).
/// </summary>
[CollectionDefinition(nameof(DeviceTimingCollection), DisableParallelization = true)]
public sealed class DeviceTimingCollection;
