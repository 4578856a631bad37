namespace Sage.Cuda;

/// <summary>Free and total device memory of a context's device (cuMemGetInfo).</summary>
public readonly record struct CudaMemoryInfo(long FreeBytes, long TotalBytes);
