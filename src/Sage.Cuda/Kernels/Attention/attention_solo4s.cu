// Main-loop kernels, "solo4s" variant (SAGE_ATTENTION_KERNEL=solo4s): solo3s (split products, attention_split_tile.cuh)
// with the d = 64 kernels budgeted for FOUR CTAs per SM (≤ 128 registers, 3 K/V stages: 4 × 54.3 KB of shared memory);
// the d = 128 kernels are solo3s's (3 CTAs per SM, 2 stages). Same bits as the other variants.
#define SAGE_SOLO_MIN_BLOCKS 3
#define SAGE_SOLO_MIN_BLOCKS_D(D) ((D) == 128 ? 3 : 4)
#define SAGE_SOLO_OVERLAP 0
#define SAGE_SOLO_SPLIT 2
#define SAGE_SOLO_STAGES(D) ((D) == 128 ? 2 : 3)
#include "attention_solo.cuh"

SAGE_SOLO_KERNELS()
