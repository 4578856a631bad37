// Shared by the interop test kernels; also proves that embedded .cuh headers reach NVRTC
// (KernelSource.FromEmbedded hands every .cuh of the assembly over as an in-memory header).
#pragma once

// Global index of this thread in a 1-D launch, in 64 bits so buffers past 2^31 elements work.
__device__ __forceinline__ long long global_thread_index()
{
    return static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
}
