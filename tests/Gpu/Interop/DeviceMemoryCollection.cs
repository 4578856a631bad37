using Xunit;
namespace Sage.Gpu.Tests.Interop;

/// <summary>
/// Tests that read the device's free memory (leak checks, out-of-memory) run alone: allocations by tests
/// running in parallel would move the numbers they compare.
/// </summary>
[CollectionDefinition(nameof(DeviceMemoryCollection), DisableParallelization = true)]
public sealed class DeviceMemoryCollection;
