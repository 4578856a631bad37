// Main-loop kernels, serial variant (SAGE_ATTENTION_KERNEL=serial; the default is "solo3"): per tile QKᵀ -> softmax -> PV within a warpgroup; the
// two warpgroups of the CTA and the cp.async/mbarrier ring overlap each other (attention_pipelined.cuh).
#include "attention_pipelined.cuh"

SAGE_ATTENTION_KERNELS(false)
