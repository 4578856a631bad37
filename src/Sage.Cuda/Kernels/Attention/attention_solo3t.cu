// Main-loop kernels, "solo3t" variant (SAGE_ATTENTION_KERNEL=solo3t): solo3 (serial loop, three one-warpgroup CTAs per
// SM, TMA loads) with the lane's row maximum taken as a tree (SAGE_TREE_MAX, attention_pipelined.cuh). Same bits.
#define SAGE_SOLO_MIN_BLOCKS 3
#define SAGE_SOLO_OVERLAP 0
#define SAGE_SOLO_STAGES(D) ((D) == 128 ? 2 : 4)
#define SAGE_TREE_MAX 1
#include "attention_solo.cuh"

SAGE_SOLO_KERNELS()
