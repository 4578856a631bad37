// c = a + b, element-wise: the round-trip test of upload, launch and download.
// __fadd_rn keeps the sum a single IEEE round-to-nearest addition whatever the compiler options.
#include "interop_common.cuh"

extern "C" __global__ void vector_add(const float* __restrict__ a, const float* __restrict__ b,
                                      float* __restrict__ c, long long n)
{
    const long long i = global_thread_index();
    if (i < n) c[i] = __fadd_rn(a[i], b[i]);
}
