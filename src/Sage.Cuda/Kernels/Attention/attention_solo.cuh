// The SageAttention main loop on Hopper, "solo" structure (docs/kernel-spec.md §5-§10, "Kernel structure"): one CTA =
// ONE consumer warpgroup (128 threads) = one 64-row query block, grid (⌈Nq/64⌉, Hq, B), SAGE_SOLO_MIN_BLOCKS CTAs per
// SM. The CTAs of an SM are independent (no barrier between them), so they drift apart and one CTA's softmax runs
// while another's wgmmas are in the tensor cores, without the ping-pong barriers of a 2-warpgroup kernel. (A persistent
// version, CTAs walking blocks on one K/V tile sequence, ran 10-12 % slower on the H100 in session 5 even with one
// block per CTA, and was dropped: docs/results/gpu-run-session5-2026-11-26.md.)
// The same function with WGS = 3 is the shared CTA (the *_share kernels, session 15): three such warpgroups on one ring of
// K/V stages, one CTA per SM, so each K/V tile is copied from L2 once per three blocks (see solo_cta below).
//
// Shared memory: each stage is [K tile][V tile][8 rows of E4M3 ones, 1 KB], written once at the start: the PV
// descriptor of a V tile spans D + 8 rows, so the wgmma's last 8 columns are the row sums (§8, the row-sum column).
//
// Loads: thread 0 alone issues every copy as a TMA tile load (cp.async.bulk.tensor.2d, completed on an mbarrier with
// expect_tx), so the consumer threads run no copy instructions, no address arithmetic and no cp.async arrivals:
//   - Q block (64 × D bytes) once, when the pre-processing quantised Q (SmoothQ, or a caller's pre-processed inputs);
//     otherwise the CTA quantises its Q block itself in the prologue (attention_query_quantize.cuh, same bits).
//   - K tile (128 tokens × D bytes) and V tile (D channels × 128 tokens) per key tile, in a ring of SAGE_SOLO_STAGES
//     stages with a "full" barrier for K and one for V (count 1 + transaction bytes) and an "empty" barrier (128
//     arrivals after the PV of the tile completed). Tile kt - 1 + STAGES is loaded into the stage of tile kt - 1 in
//     iteration kt (right after the QKᵀ issue), once that stage's "empty" phase has completed.
//   - The tensor maps (CudaAttention.SoloTensorMaps) describe the pre-processing's row-major layouts as 2D byte arrays
//     (Q: [B·Hq·padQ rows, D], K: [B·Hkv·padK rows, D], V: [B·Hkv·D rows, padK]) with the TMA swizzle matching the
//     row length (128-byte rows: 128B swizzle, 64-byte rows: 64B swizzle); the wgmma descriptors use the same swizzle
//     (swizzled_descriptor). The swizzle only changes where an operand byte sits in shared memory, never its value.
//
// Arithmetic: the helpers of attention_mainloop.cuh (softmax_tile, pv_issue_desc, pv_finish, store_rows); each
// row's operations and their order depend only on its 64-row block, the K tiles visited and the order of the wgmma
// k-steps. In causal mode T (the number of K tiles) is that of the enclosing 128-row tile of the spec (§6), so a lower
// block visits the same (possibly fully masked) tiles as the upper one: a fully masked tile leaves m, l unchanged but can
// turn a −0 accumulator into +0. (The 2-warpgroup kernels with 128-row CTAs were retired in session 5.)
#pragma once
#include "attention_mainloop.cuh"
#include "attention_query_quantize.cuh"
#include "kernel_selection.cuh" // SAGE_KERNEL_SELECTED: one kernel per module (CudaAttention's MainLoopKernels)

// CTAs per SM the registers are budgeted for (__launch_bounds__): three at d = 128 (≤ 168 registers), four at d = 64
// (≤ 128); and the K/V stages that let that many CTAs' shared memory fit (CudaAttention.SoloStages must agree).
#define SAGE_SOLO_MIN_BLOCKS(D) ((D) == 128 ? 3 : 4)

// Causal solo grids end on one-tile blocks (session 26): the last k heads take their blocks longest first across those
// heads instead of head by head, k being the power of two at or above ⌈SAGE_TAIL_SMS × CTAs per SM / blocks per head⌉
// (about one wave of CTAs; a power of two so that the mapping takes shifts, not a division, and ptxas keeps every
// kernel's registers and local memory: a division-based k spilled 24-48 bytes in the FP32 two-level and smoothed
// kernels, session 25). Only when there are more heads than k. Causal kernels 1-6 % faster at 2K-8K, FP16 and FP32
// two-level, same bits (docs/results/gpu-run-session26-2026-11-27.md). SAGE_CAUSAL_TAIL=0 (SAGE_KERNEL_DEFINES)
// compiles the previous head-major order, for A/B runs. Schedule only: the CTA → block mapping is one-to-one.
#ifndef SAGE_CAUSAL_TAIL
#define SAGE_CAUSAL_TAIL 1
#endif
#ifndef SAGE_TAIL_SMS
#define SAGE_TAIL_SMS 132
#endif
#define SAGE_SOLO_STAGES(D) ((D) == 128 ? 2 : 3)
#define SAGE_SOLO_THREADS 128
// The shared CTA (the *_share kernels): three warpgroups, one CTA per SM, and the K/V stages that fit beside three Q
// blocks (d = 128: 3 × 8 KB + 6 × 33 KB of the 227 KB an SM grants one CTA).
#define SAGE_SHARE_WGS 3
#define SAGE_SHARE_STAGES 6

// wgmma descriptor of a K-major operand written by TMA with the swizzle of its row length (rowBytes 128: 128B swizzle,
// 64: 64B swizzle): 8-row atoms of 8·rowBytes bytes along M/N (stride byte offset), leading byte offset unused (1).
// k-step s (32 bytes of K) starts 32·s bytes further: add 2·s to the descriptor. Atoms must be 8·rowBytes-aligned.
__device__ __forceinline__ unsigned long long swizzled_descriptor(const void* p, int rowBytes)
{
    unsigned long long d = (unsigned long long)((shared_address(p) & 0x3FFFF) >> 4);
    d |= 1ull << 16;
    d |= (unsigned long long)((8 * rowBytes) >> 4) << 32;
    d |= (unsigned long long)(rowBytes == 128 ? 1 : 2) << 62;
    return d;
}

// Lane 0 arrives on bar with `count` arrivals (release semantics, after its warp's wgmma.wait_group) and learns how many
// arrivals the phase still lacked before it: equal to `count` means this arrival completed the phase. Predicated inside
// the asm, so the other lanes run it as no-ops (0) without a branch. (A shared-memory atom.acq_rel here compiled to a
// MEMBAR.ALL.CTA and a warp-aggregation sequence per warp and tile: 7 % of the shared CTA's cycles, ncu, session 15.)
__device__ __forceinline__ unsigned int arrive_pending_before(unsigned long long* bar, unsigned int count, int lane)
{
    unsigned int pending = 0;
    asm volatile("{\n.reg .pred p;\n.reg .b64 state;\nsetp.eq.s32 p, %1, 0;\n"
                 "@p mbarrier.arrive.shared::cta.b64 state, [%2], %3;\n"
                 "@p mbarrier.pending_count.b64 %0, state;\n}\n"
                 : "+r"(pending) : "r"(lane), "r"(shared_address(bar)), "r"(count) : "memory");
    return pending;
}

// K tiles (§6) a 64-row block visits: that of the enclosing 128-row CTA tile of the spec when causal, else all.
__device__ __forceinline__ int block_tiles(const AttentionParams& p, int block)
{
    if (!p.causal) return p.tiles;
    const int q0 = (block >> 1) * 128;
    const int lastRow = min(q0 + 127, p.nq - 1);
    const int last = min(p.nk - 1, lastRow + p.nk - p.nq);
    return last < 0 ? 0 : last / SAGE_KEY_TILE + 1;
}

// WGS = 1: the solo CTA (one warpgroup, SAGE_SOLO_MIN_BLOCKS CTAs per SM, thread 0 refills a stage once its "empty"
// barrier completed). WGS = 3: the shared CTA (the *_share kernels): three warpgroups = three consecutive 64-row blocks of
// one head on one K/V stage ring of SAGE_SHARE_STAGES stages, one CTA per SM. Each warpgroup runs exactly the solo loop
// on its block; a stage is refilled by the warp whose release completes the stage's "empty" barrier, so the
// warpgroups drift apart by up to STAGES - 1 tiles and never wait for a producer. Same arithmetic, same bits: only
// where the K/V bytes come from changes (one L2 -> SM copy per tile for the three blocks instead of three).
template <int D, int MODE, bool SMOOTHQ, bool HOOKS, bool QUERIES_HERE, int WGS = 1>
__device__ __forceinline__ void solo_cta(const AttentionParams& p, const SageTensorMap* mapQ, const SageTensorMap* mapK,
                                         const SageTensorMap* mapV)
{
    static_assert(WGS == 1 || WGS == 3, "one warpgroup, or the shared CTA's three (release_start counts three)");
    static_assert(WGS == 1 || D == 128, "the shared CTA's shared memory is laid out for d = 128");
    constexpr int STAGES = WGS == 1 ? SAGE_SOLO_STAGES(D) : SAGE_SHARE_STAGES;
    constexpr int KSTEPS = D / 32;
    constexpr int TILE = D * SAGE_KEY_TILE; // bytes of one K tile and of one V tile
    constexpr int ONES = 8 * SAGE_KEY_TILE; // the 8 rows of E4M3 ones after each V tile (row-sum column, §8)
    constexpr int STAGE = 2 * TILE + ONES;
    constexpr int Q_BYTES = 64 * D;
    constexpr int THREADS = 128 * WGS;

    // Dynamic shared memory: [Q block × WGS][stages: (K tile, V tile, ones) × STAGES][fullK, fullV, empty × STAGES,
    // Q × WGS] (CudaAttention.SoloSharedMemoryBytes / ShareSharedMemoryBytes). Every
    // operand starts at a multiple of 1024 bytes (swizzle atoms). The dynamic window of a kernel without static shared
    // memory starts 1024-aligned on sm_90, so no alignment slack is allocated (at d = 64 four solo CTAs would not fit
    // with it); a misaligned window would corrupt the operands, so it traps.
    SAGE_TIMELINE(const unsigned long long entryClock = timeline_clock());
    SAGE_TIMELINE(unsigned long long entryTime; asm volatile("mov.u64 %0, %%globaltimer;\n" : "=l"(entryTime)::"memory"));
    extern __shared__ __align__(1024) unsigned char smem[];
    if ((shared_address(smem) & 1023u) != 0) __trap();
    // wg through redux.sync (a uniform register): everything derived from it, the Q block's address and so the wgmma
    // descriptors, stays in the uniform datapath (computed from tid, ptxas put the descriptors in vector registers with an
    // R2UR before every wgmma: 21 R2UR against 9, session 15).
    const int tid = threadIdx.x, wg = WGS == 1 ? 0 : (int)__reduce_max_sync(0xffffffffu, (unsigned int)tid >> 7);
    const int wtid = tid & 127, warp = wtid >> 5, lane = tid & 31, g = lane >> 2, t = lane & 3;
    unsigned char* sQ = smem + wg * Q_BYTES;
    unsigned char* stages = smem + WGS * Q_BYTES;
    unsigned long long* fullK = reinterpret_cast<unsigned long long*>(stages + STAGES * STAGE);
    unsigned long long* fullV = fullK + STAGES;
    unsigned long long* empty = fullV + STAGES;
    unsigned long long* qFull = empty + STAGES;

    // Causal: the blocks with the most K tiles first, so that the short ones fill the tail of the grid; only the schedule
    // changes. A shared CTA's warpgroups take consecutive blocks (of equal or neighbouring tile counts).
    // Grids: (CTA, head, batch), or, causal, one-dimensional in the same order (head-major, CTA fastest; a solo grid's
    // last heads interleaved, see SAGE_CAUSAL_TAIL above). Ordering the
    // causal CTAs longest first over all heads instead was 2x slower at 8K (session 16): concurrent CTAs then span every
    // head, and their K and V no longer fit in L2. This form of the prologue also measured +2 % (FP16 two-level) and
    // +3 % (FP32 two-level) kernel-only at 16K, causal or not, against reading blockIdx.y and .z directly (session 16,
    // same calls, H100; 8K -2 %). The cause was not isolated, most likely code placement: compare `sage kernels`
    // (registers, R2UR) before and after changing this code.
    const int nBlocks = (p.nq + 63) / 64; // CTAs per head of a solo launch
    int cta = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
    if (p.causal)
    {
        const int perHead = (nBlocks + WGS - 1) / WGS;
        int bh = cta / perHead;
        cta -= bh * perHead;
#if SAGE_CAUSAL_TAIL
        if constexpr (WGS == 1)
        {
            const int heads = p.batch * p.hq;
            const int need = (SAGE_TAIL_SMS * SAGE_SOLO_MIN_BLOCKS(D) + perHead - 1) / perHead;
            const int shift = need > 1 ? 32 - __clz(need - 1) : 0; // k = 2^shift ≥ need
            const int firstTail = (heads - (1 << shift)) * perHead;
            if (heads > (1 << shift) && (int)blockIdx.x >= firstTail)
            {
                const int y = (int)blockIdx.x - firstTail; // tail CTA y: block y >> shift of tail head y mod k
                cta = y >> shift;
                bh = heads - (1 << shift) + (y & ((1 << shift) - 1));
            }
        }
#endif
        h = bh % p.hq;
        b = bh / p.hq;
    }
    const int linear = cta * WGS + wg;
    const int block = p.causal ? nBlocks - 1 - linear : linear;
    const int hk = h / (p.hq / p.hkv);
    // The *_mlq kernels quantise their Q block in this prologue (q, q_scale unused); a template argument, so that the
    // kernels reading the pre-processed Q compile exactly as without it (a runtime flag cost them 4 % on the H100).
    static_assert(!(QUERIES_HERE && (SMOOTHQ || HOOKS)), "main-loop Q only in the plain kernels");
    const int row0 = block * 64 + warp * 16 + g; // this lane's rows: row0 and row0 + 8
    const int row1 = row0 + 8;

    // §6: the tiles the enclosing 128-row CTA tile visits (see the header comment); in a shared CTA every thread also
    // knows its neighbours' counts: tile kt is needed by the warpgroups with more than kt tiles, and the CTA loads
    // tiles up to the largest count.
    int T = p.tiles, tilesOf[WGS];
    if constexpr (WGS == 1)
    {
        if (p.causal) T = block_tiles(p, block);
        tilesOf[0] = T;
    }
    else
    {
#pragma unroll
        for (int w = 0; w < WGS; w++)
        {
            const int l = cta * WGS + w;
            tilesOf[w] = l < nBlocks ? block_tiles(p, p.causal ? nBlocks - 1 - l : l) : 0; // an idle warpgroup: none
        }
        // Indexed by a run-time value, tilesOf lives in local memory (prologue only). A select chain instead removed those
        // accesses from the FP16 kernel but ran 0.5-2 % slower kernel-only at 16K (2 % causal; session 18, same call, H100):
        // ptxas then allocated the loop differently.
        T = tilesOf[wg];
    }
    int ctaTiles = tilesOf[0];
#pragma unroll
    for (int w = 1; w < WGS; w++) ctaTiles = max(ctaTiles, tilesOf[w]);

    const long long bhq = (long long)b * p.hq + h;
    const long long bhk = (long long)b * p.hkv + hk;
    const int kRowBase = (int)(bhk * p.padK); // first row of this head in the K map
    const int vRowBase = (int)(bhk * D);      // first row of this head in the V map
    SAGE_TIMELINE(const unsigned long long indexClock = timeline_clock());

    // One thread only: tile kt -> stage s (= kt % STAGES, which the caller knows).
    auto load_tile = [&](int kt, int s) {
        unsigned char* sK = stages + s * STAGE;
        mbarrier_expect_tx(fullK + s, TILE);
        tma_load_2d(sK, mapK, 0, kRowBase + kt * SAGE_KEY_TILE, fullK + s);
        mbarrier_expect_tx(fullV + s, TILE);
        tma_load_2d(sK + TILE, mapV, kt * SAGE_KEY_TILE, vRowBase, fullV + s);
    };

    // The ones rows (E4M3 1.0 = 0x38; the swizzle cannot move a byte of a constant block), written through the generic
    // proxy and read by the wgmma through the async proxy: fence, then the __syncthreads below.
    static_assert(ONES == 8 * SAGE_SOLO_THREADS, "ones rows: one 8-byte word per thread of the first warpgroup");
    if (WGS == 1 || tid < SAGE_SOLO_THREADS)
    {
#pragma unroll
        for (int s = 0; s < STAGES; s++)
            *reinterpret_cast<unsigned long long*>(stages + s * STAGE + 2 * TILE + 8 * tid) = 0x3838383838383838ull;
    }
    asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
    if (tid == 0)
    {
#pragma unroll
        for (int s = 0; s < STAGES; s++)
        {
            mbarrier_init(fullK + s, 1);
            mbarrier_init(fullV + s, 1);
            mbarrier_init(empty + s, WGS == 1 ? SAGE_SOLO_THREADS : 4 * WGS); // shared: lane 0 of every warp
        }
#pragma unroll
        for (int w = 0; w < WGS; w++) mbarrier_init(qFull + w, 1);
        // The barriers are used by the TMA unit (async proxy).
        asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
        asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
        if constexpr (!QUERIES_HERE)
        {
#pragma unroll
            for (int w = 0; w < WGS; w++)
            {
                const int l = cta * WGS + w;
                if (l >= nBlocks) continue; // an idle warpgroup of a shared CTA
                const int blk = p.causal ? nBlocks - 1 - l : l;
                mbarrier_expect_tx(qFull + w, Q_BYTES);
                tma_load_2d(smem + w * Q_BYTES, mapQ, 0, (int)(bhq * p.padQ) + blk * 64, qFull + w);
            }
        }
#pragma unroll
        for (int kt = 0; kt < STAGES; kt++)
            if (kt < ctaTiles) load_tile(kt, kt);
    }
    SAGE_TIMELINE(const unsigned long long issueClock = timeline_clock());
    // Without SmoothQ the CTA quantises its own Q block (§3) while the first K/V tiles load.
    float queryScale = 0.0f;
    if constexpr (QUERIES_HERE)
        if (WGS == 1 || linear < nBlocks) queryScale = quantize_query_block<D, WGS>(p, block, b, h, sQ, wg); // not an idle warpgroup
    __syncthreads();
    SAGE_TIMELINE(const unsigned long long setupClock = timeline_clock());
    if (WGS > 1 && linear >= nBlocks) return; // an idle warpgroup of a shared CTA (its block is past the last)

    // Solo: at iteration kt, tile kt - 1 + STAGES goes into the stage of tile kt - 1 once all 128 threads released it.
    auto refill = [&](int kt, int s, unsigned int phase) {
        if constexpr (WGS == 1)
        {
            if (tid == 0 && kt >= 1 && kt - 1 + STAGES < T)
            {
                const int prev = s == 0 ? STAGES - 1 : s - 1; // the stage of tile kt - 1, and its phase
                mbarrier_wait(empty + prev, s == 0 ? phase ^ 1u : phase);
                load_tile(kt - 1 + STAGES, prev);
            }
        }
    };
    // Solo: every thread arrives on the stage's "empty" barrier after its PV wgmma completed. Shared: lane 0 of every warp
    // arrives on it (12 arrivals per phase; a warp of warpgroup 0, which visits the most tiles, also arrives for its
    // counterparts in warpgroups whose blocks do not visit tile kt), and the warp whose arrival completes the phase loads
    // tile kt + STAGES into the stage. The pending count is read right after the wait and acted on after the fold.
    // Warpgroup w's tile count never exceeds w - 1's (consecutive blocks, longest first when causal; idle ones last).
    const unsigned int laterTiles = WGS > 1 ? (unsigned int)tilesOf[WGS > 1 ? 1 : 0] | ((unsigned int)tilesOf[WGS > 2 ? 2 : 0] << 16) : 0u;
    auto release_start = [&](int kt, int s) -> bool {
        if constexpr (WGS == 1)
        {
            mbarrier_arrive(empty + s);
            return false;
        }
        else
        {
            const unsigned int count = wg == 0 ? 1u + ((int)(laterTiles & 0xFFFFu) <= kt) + ((int)(laterTiles >> 16) <= kt) : 1u;
            const unsigned int pending = arrive_pending_before(empty + s, count, lane); // every lane: no branch
            return lane == 0 && pending == count;
        }
    };
    auto release_finish = [&](int kt, int s, bool completed) {
        if constexpr (WGS > 1)
        {
            if (completed && kt + STAGES < ctaTiles) load_tile(kt + STAGES, s);
        }
    };

    BlockRows rows = block_rows<SMOOTHQ>(p, row0, row1, block, bhq, bhk);
    if constexpr (QUERIES_HERE) rows.qScale = queryScale;
    float accO[SAGE_ACC_O(D)];
    zero_registers(accO);
    RowState st = RowState::start();
    int accS[64];
    PvBlock<D, MODE> pv;

    if constexpr (!QUERIES_HERE) mbarrier_wait(qFull + wg, 0);
    const unsigned long long qDesc = swizzled_descriptor(sQ, D);

    // Descriptors of stage 0's K and V tiles; stage s starts s·STAGE bytes further, s·STAGE/16 in the start-address field
    // (bits 0..13: shared addresses stay below 2^18, so the addition never carries out of the field).
    static_assert(STAGE % 16 == 0, "stages are 16-byte multiples");
    const unsigned long long kDesc0 = swizzled_descriptor(stages, D);
    const unsigned long long vDesc0 = swizzled_descriptor(stages + TILE, SAGE_KEY_TILE);
    auto qk_issue = [&](int s, unsigned int phase) {
        mbarrier_wait(fullK + s, phase);
        const unsigned long long kDesc = kDesc0 + (unsigned long long)(s * (STAGE >> 4));
        // The sums start from SHIFTER_BITS (§5.3): the wgmma's integer accumulation adds the exact sum to it, so acc
        // arrives as the bits of the float SHIFTER + sum, and the softmax needs no IADD per score (session 8, probe E2:
        // +2 % at 16K; an immediate move costs no register read, the add it replaces one). ptxas places these moves
        // right before the wgmma wherever the source sets the registers (session 14: setting each one after the exp
        // pass's last read of it gave the same SASS).
#pragma unroll
        for (int i = 0; i < 64; i++) accS[i] = SAGE_SHIFTER_BITS;
        wgmma_fence();
#pragma unroll
        for (int ks = 0; ks < KSTEPS; ks++) wgmma_ss_m64n128k32_s32_s8(accS, qDesc + 2 * ks, kDesc + 2 * ks, 1);
        wgmma_commit();
    };
    auto pv_issue_tile = [&](int s, unsigned int phase, const unsigned int (&pr)[16], float rs0, float rs1) {
        mbarrier_wait(fullV + s, phase);
        pv_issue_desc<D, MODE>(accO, pv, pr, vDesc0 + (unsigned long long)(s * (STAGE >> 4)), rs0, rs1);
    };
    // This lane's k_scale of tile kt sits kt·kGroups floats after kScaleLane. The loop steps the pointer by one tile: the
    // indexed form compiled to ≈ 20 SASS instructions of 64-bit index arithmetic per tile (session 11's SASS study).
    const float* kScaleLane = rows.kScaleHead + (rows.kGroups == 4 ? t : 0);
    auto softmax_with = [&](int kt, float kScale, float& rescale0, float& rescale1, unsigned int (&pr)[16]) {
        fence_registers(accS);
        const float qkScale = __fmul_rn(rows.qScale, kScale);
        softmax_tile<SMOOTHQ>(accS, qkScale, SMOOTHQ ? rows.dsBlock + kt * SAGE_KEY_TILE : nullptr, kt * SAGE_KEY_TILE, t,
                              rows.last0, rows.last1, st, rescale0, rescale1, pr);
    };

    // The stage of tile kt (kt % STAGES) and the parity of its barriers' phase ((kt / STAGES) & 1), stepped once per tile:
    // with the shared CTA's six stages the remainder and quotient were a multiply-high sequence at every use. Stepping
    // them, and forming the K/V descriptors as stage 0's plus an offset, measured +2 % kernel-only at 16K (shared CTA,
    // both two-level modes) and +2-4 % at 2K-8K (solo), same calls, H100 (docs/results/gpu-run-session17-2026-11-26.md).
    int stage = 0;
    unsigned int phase = 0;
    SAGE_TIMELINE(const unsigned long long loopClock = timeline_clock());
    SAGE_TIMELINE(unsigned long long firstQkClock = loopClock);
    for (int kt = 0; kt < T; kt++)
    {
        float rescale0, rescale1;
        unsigned int pr[16];
        // The k_scale load is issued before the QKᵀ wgmma (the asm "memory" clobbers keep it there), and thread 0
        // refills while the wgmma runs: neither latency sits between the wgmma's completion and the softmax
        // (+3 % at N = 16K over refill -> issue -> wait -> load, H100, docs/results/kernel-speed-2026-11-25.md).
        const float kScale = *kScaleLane;
        kScaleLane += rows.kGroups;
        qk_issue(stage, phase);
        refill(kt, stage, phase);
        wgmma_wait<0>();
        SAGE_TIMELINE(if (kt == 0) firstQkClock = timeline_clock());
        softmax_with(kt, kScale, rescale0, rescale1, pr);
        pv_issue_tile(stage, phase, pr, rescale0, rescale1);
        wgmma_wait<0>();
        const bool completed = release_start(kt, stage);
        pv_finish<D, MODE>(accO, pv, st, rescale0, rescale1);
        release_finish(kt, stage, completed);
        if (++stage == STAGES)
        {
            stage = 0;
            phase ^= 1u;
        }
    }

    SAGE_TIMELINE(const unsigned long long loopEndClock = timeline_clock());

    // §9 epilogue.
    static_assert(64 * (2 * D + 16) <= STAGES * STAGE, "the staged output rows fit in the stage memory");
    store_rows<D, HOOKS, SAGE_EPILOGUE_STAGED && WGS == 1>(p, st, accO, row0, row1, b, h, bhq, bhk, t, stages);
#ifdef SAGE_CTA_TIMELINE
    if (unsigned long long* slot = timeline_slot())
    {
        unsigned int sm;
        asm volatile("mov.u32 %0, %%smid;\n" : "=r"(sm));
        slot[0] = sm | ((unsigned long long)ctaTiles << 32);
        slot[1] = entryClock;
        slot[2] = setupClock;
        slot[3] = loopClock;
        slot[4] = firstQkClock;
        slot[5] = loopEndClock;
        slot[6] = timeline_clock();
        slot[7] = entryTime;
        slot[8] = indexClock;
        slot[9] = issueClock;
    }
#endif
}

// Parameters: the three tensor maps (Q, K, V), then the flat list SAGE_ATTENTION_PARAMETERS.
#define SAGE_SOLO_KERNEL(NAME, D, MODE, SMOOTH)                                                                        \
    extern "C" __global__ void __launch_bounds__(SAGE_SOLO_THREADS, SAGE_SOLO_MIN_BLOCKS(D)) NAME(                        \
        const __grid_constant__ SageTensorMap mapQ, const __grid_constant__ SageTensorMap mapK,                        \
        const __grid_constant__ SageTensorMap mapV, SAGE_ATTENTION_PARAMETERS)                                         \
    {                                                                                                                  \
        if constexpr (SAGE_KERNEL_SELECTED(NAME))                                                                      \
        {                                                                                                              \
            SAGE_ATTENTION_PARAMS_FROM_ARGUMENTS(p)                                                                    \
            if (SMOOTH && smoothQ) solo_cta<D, MODE, SMOOTH, SMOOTH, false>(p, &mapQ, &mapK, &mapV);                   \
            else solo_cta<D, MODE, false, SMOOTH, false>(p, &mapQ, &mapK, &mapV);                                     \
        }                                                                                                              \
        else __trap();                                                                                                 \
    }

// The plain kernel with Q quantised in the prologue (attention_query_quantize.cuh); mapQ is unused.
#define SAGE_SOLO_KERNEL_MLQ(NAME, D, MODE)                                                                            \
    extern "C" __global__ void __launch_bounds__(SAGE_SOLO_THREADS, SAGE_SOLO_MIN_BLOCKS(D)) NAME(                        \
        const __grid_constant__ SageTensorMap mapQ, const __grid_constant__ SageTensorMap mapK,                        \
        const __grid_constant__ SageTensorMap mapV, SAGE_ATTENTION_PARAMETERS)                                         \
    {                                                                                                                  \
        if constexpr (SAGE_KERNEL_SELECTED(NAME))                                                                      \
        {                                                                                                              \
            SAGE_ATTENTION_PARAMS_FROM_ARGUMENTS(p)                                                                    \
            solo_cta<D, MODE, false, false, true>(p, &mapQ, &mapK, &mapV);                                            \
        }                                                                                                              \
        else __trap();                                                                                                 \
    }

// The shared CTA's kernels (solo_cta with WGS = 3; pre-processed Q, or _mlq: each warpgroup quantises its block): grid
// (⌈⌈Nq/64⌉/3⌉, Hq, B), 384 threads, one CTA per SM (the same 168 registers per thread as three solo CTAs).
#define SAGE_SHARE_KERNEL(NAME, D, MODE, SMOOTH)                                                                       \
    extern "C" __global__ void __launch_bounds__(SAGE_SOLO_THREADS * SAGE_SHARE_WGS, 1) NAME(                        \
        const __grid_constant__ SageTensorMap mapQ, const __grid_constant__ SageTensorMap mapK,                        \
        const __grid_constant__ SageTensorMap mapV, SAGE_ATTENTION_PARAMETERS)                                         \
    {                                                                                                                  \
        if constexpr (SAGE_KERNEL_SELECTED(NAME))                                                                      \
        {                                                                                                              \
            SAGE_ATTENTION_PARAMS_FROM_ARGUMENTS(p)                                                                    \
            if (SMOOTH && smoothQ) solo_cta<D, MODE, SMOOTH, SMOOTH, false, SAGE_SHARE_WGS>(p, &mapQ, &mapK, &mapV);   \
            else solo_cta<D, MODE, false, SMOOTH, false, SAGE_SHARE_WGS>(p, &mapQ, &mapK, &mapV);                     \
        }                                                                                                              \
        else __trap();                                                                                                 \
    }

// The shared CTA with Q quantised in the prologue, each warpgroup its own block (mapQ unused).
#define SAGE_SHARE_KERNEL_MLQ(NAME, D, MODE)                                                                           \
    extern "C" __global__ void __launch_bounds__(SAGE_SOLO_THREADS * SAGE_SHARE_WGS, 1) NAME(                        \
        const __grid_constant__ SageTensorMap mapQ, const __grid_constant__ SageTensorMap mapK,                        \
        const __grid_constant__ SageTensorMap mapV, SAGE_ATTENTION_PARAMETERS)                                         \
    {                                                                                                                  \
        if constexpr (SAGE_KERNEL_SELECTED(NAME))                                                                      \
        {                                                                                                              \
            SAGE_ATTENTION_PARAMS_FROM_ARGUMENTS(p)                                                                    \
            solo_cta<D, MODE, false, false, true, SAGE_SHARE_WGS>(p, &mapQ, &mapK, &mapV);                            \
        }                                                                                                              \
        else __trap();                                                                                                 \
    }

// sage_attention_d128_{fp32,fp32_two_level,fp16_two_level}[_smooth | _mlq]_share.
#define SAGE_SHARE_KERNELS()                                                                                           \
    SAGE_SHARE_KERNEL(sage_attention_d128_fp32_share, 128, SAGE_MODE_FP32, false)                                      \
    SAGE_SHARE_KERNEL(sage_attention_d128_fp32_two_level_share, 128, SAGE_MODE_FP32_TWO_LEVEL, false)                  \
    SAGE_SHARE_KERNEL(sage_attention_d128_fp16_two_level_share, 128, SAGE_MODE_FP16_TWO_LEVEL, false)                  \
    SAGE_SHARE_KERNEL(sage_attention_d128_fp32_smooth_share, 128, SAGE_MODE_FP32, true)                                \
    SAGE_SHARE_KERNEL(sage_attention_d128_fp32_two_level_smooth_share, 128, SAGE_MODE_FP32_TWO_LEVEL, true)            \
    SAGE_SHARE_KERNEL(sage_attention_d128_fp16_two_level_smooth_share, 128, SAGE_MODE_FP16_TWO_LEVEL, true)            \
    SAGE_SHARE_KERNEL_MLQ(sage_attention_d128_fp32_mlq_share, 128, SAGE_MODE_FP32)                                     \
    SAGE_SHARE_KERNEL_MLQ(sage_attention_d128_fp32_two_level_mlq_share, 128, SAGE_MODE_FP32_TWO_LEVEL)                 \
    SAGE_SHARE_KERNEL_MLQ(sage_attention_d128_fp16_two_level_mlq_share, 128, SAGE_MODE_FP16_TWO_LEVEL)

// The eighteen kernels: sage_attention_d{64,128}_{fp32,fp32_two_level,fp16_two_level}[_smooth | _mlq].
#define SAGE_SOLO_KERNELS()                                                                                            \
    SAGE_SOLO_KERNEL(sage_attention_d64_fp32, 64, SAGE_MODE_FP32, false)                                               \
    SAGE_SOLO_KERNEL(sage_attention_d64_fp32_two_level, 64, SAGE_MODE_FP32_TWO_LEVEL, false)                           \
    SAGE_SOLO_KERNEL(sage_attention_d64_fp16_two_level, 64, SAGE_MODE_FP16_TWO_LEVEL, false)                           \
    SAGE_SOLO_KERNEL(sage_attention_d128_fp32, 128, SAGE_MODE_FP32, false)                                             \
    SAGE_SOLO_KERNEL(sage_attention_d128_fp32_two_level, 128, SAGE_MODE_FP32_TWO_LEVEL, false)                         \
    SAGE_SOLO_KERNEL(sage_attention_d128_fp16_two_level, 128, SAGE_MODE_FP16_TWO_LEVEL, false)                         \
    SAGE_SOLO_KERNEL(sage_attention_d64_fp32_smooth, 64, SAGE_MODE_FP32, true)                                         \
    SAGE_SOLO_KERNEL(sage_attention_d64_fp32_two_level_smooth, 64, SAGE_MODE_FP32_TWO_LEVEL, true)                     \
    SAGE_SOLO_KERNEL(sage_attention_d64_fp16_two_level_smooth, 64, SAGE_MODE_FP16_TWO_LEVEL, true)                     \
    SAGE_SOLO_KERNEL(sage_attention_d128_fp32_smooth, 128, SAGE_MODE_FP32, true)                                       \
    SAGE_SOLO_KERNEL(sage_attention_d128_fp32_two_level_smooth, 128, SAGE_MODE_FP32_TWO_LEVEL, true)                   \
    SAGE_SOLO_KERNEL(sage_attention_d128_fp16_two_level_smooth, 128, SAGE_MODE_FP16_TWO_LEVEL, true)                   \
    SAGE_SOLO_KERNEL_MLQ(sage_attention_d64_fp32_mlq, 64, SAGE_MODE_FP32)                                              \
    SAGE_SOLO_KERNEL_MLQ(sage_attention_d64_fp32_two_level_mlq, 64, SAGE_MODE_FP32_TWO_LEVEL)                          \
    SAGE_SOLO_KERNEL_MLQ(sage_attention_d64_fp16_two_level_mlq, 64, SAGE_MODE_FP16_TWO_LEVEL)                          \
    SAGE_SOLO_KERNEL_MLQ(sage_attention_d128_fp32_mlq, 128, SAGE_MODE_FP32)                                            \
    SAGE_SOLO_KERNEL_MLQ(sage_attention_d128_fp32_two_level_mlq, 128, SAGE_MODE_FP32_TWO_LEVEL)                        \
    SAGE_SOLO_KERNEL_MLQ(sage_attention_d128_fp16_two_level_mlq, 128, SAGE_MODE_FP16_TWO_LEVEL)
