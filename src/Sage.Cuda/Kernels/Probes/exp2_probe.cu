// sage_kernel_exp2 over a range of float bit patterns, for the every-input check against
// Sage.Emulation.SpecialFunctions.KernelExp2 (tests/Gpu/TensorCores/KernelExp2GpuTests.cs).
#include "kernel_exp2.cuh"

extern "C" __global__ void exp2_range(unsigned int base, unsigned int* out, unsigned int count) {
  unsigned int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  out[i] = __float_as_uint(sage_kernel_exp2(__uint_as_float(base + i)));
}
