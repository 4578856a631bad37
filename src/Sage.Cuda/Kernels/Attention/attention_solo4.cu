// Main-loop kernels, "solo4" variant (SAGE_ATTENTION_KERNEL=solo4): solo3 (serial loop) with the d = 64 kernels budgeted
// for FOUR CTAs per SM (≤ 128 registers, which solo3's plain d = 64 kernels already use; 3 K/V stages so that four CTAs'
// shared memory fits: 4 × 54.3 KB); the d = 128 kernels are solo3's. Same bits as the other variants.
#define SAGE_SOLO_MIN_BLOCKS 3
#define SAGE_SOLO_MIN_BLOCKS_D(D) ((D) == 128 ? 3 : 4)
#define SAGE_SOLO_OVERLAP 0
#define SAGE_SOLO_STAGES(D) ((D) == 128 ? 2 : 3)
#include "attention_solo.cuh"

SAGE_SOLO_KERNELS()
