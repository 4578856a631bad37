// Main-loop kernels, "solo7" variant (SAGE_ATTENTION_KERNEL=solo7): solo4 with the k_scale of tile kt + 1 loaded
// during tile kt (SAGE_SOLO_PREFETCH_KSCALE). Same bits as the other variants.
#define SAGE_SOLO_MIN_BLOCKS 3
#define SAGE_SOLO_MIN_BLOCKS_D(D) ((D) == 128 ? 3 : 4)
#define SAGE_SOLO_OVERLAP 0
#define SAGE_SOLO_PREFETCH_KSCALE 1
#define SAGE_SOLO_STAGES(D) ((D) == 128 ? 2 : 3)
#include "attention_solo.cuh"

SAGE_SOLO_KERNELS()
