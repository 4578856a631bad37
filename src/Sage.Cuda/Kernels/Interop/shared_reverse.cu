// Reverses n floats through dynamic shared memory in one block; with n above 12288 (48 KiB) it only
// launches after MaxDynamicSharedMemory has been raised, which is what the test checks.
extern "C" __global__ void shared_reverse(const float* __restrict__ in, float* __restrict__ out, int n)
{
    extern __shared__ float staging[];
    for (int i = threadIdx.x; i < n; i += blockDim.x) staging[i] = in[i];
    __syncthreads();
    for (int i = threadIdx.x; i < n; i += blockDim.x) out[i] = staging[n - 1 - i];
}
