// Hopper's asynchronous copies as the kernels use them: mbarriers in shared memory and TMA tile loads
// (cp.async.bulk.tensor) completing on them. Shared by the main loop (attention_solo.cuh) and the pre-processing's
// ring (preprocess_codes_ring.cuh), so both issue the same PTX.
#pragma once

__device__ __forceinline__ unsigned int shared_address(const void* p) { return (unsigned int)__cvta_generic_to_shared(p); }

// A CUtensorMap passed by value (NVRTC has no cuda.h): 128 opaque bytes, 64-byte aligned, filled by
// cuTensorMapEncodeTiled on the host.
struct __align__(64) SageTensorMap
{
    unsigned long long opaque[16];
};

__device__ __forceinline__ void mbarrier_init(unsigned long long* bar, unsigned int count)
{
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(shared_address(bar)), "r"(count) : "memory");
}

__device__ __forceinline__ void mbarrier_arrive(unsigned long long* bar)
{
    asm volatile("{\n.reg .b64 state;\nmbarrier.arrive.shared::cta.b64 state, [%0];\n}\n" ::"r"(shared_address(bar)) : "memory");
}

// Waits until the phase with parity `parity` of bar has completed.
__device__ __forceinline__ void mbarrier_wait(unsigned long long* bar, unsigned int parity)
{
    asm volatile("{\n.reg .pred done;\nWAIT_%=:\n"
                 "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
                 "@!done bra WAIT_%=;\n}\n" ::"r"(shared_address(bar)), "r"(parity) : "memory");
}

__device__ __forceinline__ void mbarrier_expect_tx(unsigned long long* bar, unsigned int bytes)
{
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(shared_address(bar)), "r"(bytes) : "memory");
}

// TMA: the box at coordinates (x = byte within a row, y = row) of map -> dst; completes `bytes` on bar.
__device__ __forceinline__ void tma_load_2d(void* dst, const SageTensorMap* map, int x, int y, unsigned long long* bar)
{
    asm volatile("cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];\n"
                 ::"r"(shared_address(dst)), "l"(reinterpret_cast<unsigned long long>(map)), "r"(x), "r"(y), "r"(shared_address(bar))
                 : "memory");
}

// TMA, rank 3: the box at coordinates (x = byte within a row, y, z) of map -> dst; completes `bytes` on bar.
__device__ __forceinline__ void tma_load_3d(void* dst, const SageTensorMap* map, int x, int y, int z, unsigned long long* bar)
{
    asm volatile("cp.async.bulk.tensor.3d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4}], [%5];\n"
                 ::"r"(shared_address(dst)), "l"(reinterpret_cast<unsigned long long>(map)), "r"(x), "r"(y), "r"(z), "r"(shared_address(bar))
                 : "memory");
}
