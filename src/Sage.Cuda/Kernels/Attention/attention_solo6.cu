// Main-loop kernels, "solo6" variant (SAGE_ATTENTION_KERNEL=solo6): solo4 with each PV k-step issued as soon as its
// 32 tokens' P are exponentiated and packed (SAGE_SOLO_PV_STEPS 4), so the tensor cores multiply while the remaining
// exp2 run. Same bits as the other variants.
#define SAGE_SOLO_MIN_BLOCKS 3
#define SAGE_SOLO_MIN_BLOCKS_D(D) ((D) == 128 ? 3 : 4)
#define SAGE_SOLO_OVERLAP 0
#define SAGE_SOLO_PV_STEPS 4
#define SAGE_SOLO_STAGES(D) ((D) == 128 ? 2 : 3)
#include "attention_solo.cuh"

SAGE_SOLO_KERNELS()
