// sage_mufu_exp2 (ex2.approx.ftz.f32) over a range of float bit patterns, for the every-input check against
// Sage.Emulation.SpecialFunctions.MufuExp2 (tests/Gpu/TensorCores/MufuExp2GpuTests.cs).
#include "mufu_exp2.cuh"

extern "C" __global__ void mufu_exp2_range(unsigned int base, unsigned int* out, unsigned int count) {
  unsigned int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= count) return;
  out[i] = __float_as_uint(sage_mufu_exp2(__uint_as_float(base + i)));
}
