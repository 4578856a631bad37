// The main-loop kernels (CudaAttention): the persistent solo CTA of attention_solo.cuh with registers budgeted for
// THREE CTAs per SM at d = 128 (≤ 168 per thread, 2 K/V stages so that three CTAs' shared memory fits) and FOUR at
// d = 64 (≤ 128 registers, 3 K/V stages). CudaAttention.SoloStages must agree with SAGE_SOLO_STAGES.
#define SAGE_SOLO_MIN_BLOCKS 3
#define SAGE_SOLO_MIN_BLOCKS_D(D) ((D) == 128 ? 3 : 4)
#define SAGE_SOLO_STAGES(D) ((D) == 128 ? 2 : 3)
#include "attention_solo.cuh"

SAGE_SOLO_KERNELS()
