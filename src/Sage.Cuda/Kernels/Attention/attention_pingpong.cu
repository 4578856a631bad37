// Main-loop kernels, ping-pong variant (SAGE_ATTENTION_KERNEL=pingpong; the default until session 3, now "solo3"): the overlap
// loop, with the two consumer warpgroups taking turns to issue their wgmma groups (named barriers 1 and 2), so that
// one warpgroup's softmax runs while the other's QKᵀ and PV are in the tensor cores (FA3). Same bits.
#define SAGE_PINGPONG 1
#include "attention_pipelined.cuh"

SAGE_ATTENTION_KERNELS(true)
