// Main-loop kernels, "solo3" variant (CudaAttention's default; SAGE_ATTENTION_KERNEL=solo3): the solo structure (attention_solo.cuh) with the
// serial loop (QKᵀ -> softmax -> PV per tile) and registers budgeted for three CTAs per SM (≤ 168 per thread), two K/V
// stages at d = 128 so that three CTAs' shared memory fits. Same bits as the other variants.
#define SAGE_SOLO_MIN_BLOCKS 3
#define SAGE_SOLO_OVERLAP 0
#define SAGE_SOLO_STAGES(D) ((D) == 128 ? 2 : 4)
#include "attention_solo.cuh"

SAGE_SOLO_KERNELS()
