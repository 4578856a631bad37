// Main-loop kernels, overlap variant (CudaAttention variant "overlap", SAGE_ATTENTION_KERNEL=overlap): QKᵀ of tile
// kt + 1 and PV of tile kt in flight while the softmax of tile kt + 1 runs (attention_pipelined.cuh). Same bits.
#include "attention_pipelined.cuh"

SAGE_ATTENTION_KERNELS(true)
