# Control-flow model of solo_pair_cta (attention_pair.cuh): one consumer program order with thread 0's copies inline.
# Barrier phase k completes once the (k+1)-th arrival set lands; wait(bar, parity) passes when the barrier's completed
# phase count c has (c - 1) & 1 == parity... PTX semantics: try_wait.parity(P) returns true when the phase with parity P
# has completed, i.e. the current phase parity != P. Model: completed count c; current phase parity = c & 1; wait(P)
# passes iff (c & 1) != P. TMA completes immediately (worst case for ordering is the same: nothing else can arrive).
import itertools
def block_tiles(nq, nk, block, causal, tiles):
    if not causal: return tiles
    q0 = (block >> 1) * 128
    last_row = min(q0 + 127, nq - 1)
    last = min(nk - 1, last_row + nk - nq)
    return 0 if last < 0 else last // 128 + 1
def run(nq, nk, causal, STAGES=2):
    tiles = (nk + 127) // 128
    nBlocks = (nq + 63) // 64
    perHead = (nBlocks + 1) // 2
    visited = {}
    for cta in range(perHead):
        A = nBlocks - 1 - cta; B = cta if cta < A else -1
        TA = block_tiles(nq, nk, A, causal, tiles); TB = block_tiles(nq, nk, B, causal, tiles) if B >= 0 else 0
        total = TA + TB
        fullK = [0]*STAGES; fullV = [0]*STAGES; empty = [0]*STAGES; qfull = 0
        slot = [None]*STAGES  # which item a stage holds
        def load(item, s):
            nonlocal fullK, fullV
            assert slot[s] is None or slot[s] < item, (slot[s], item)
            slot[s] = item; fullK[s] += 1; fullV[s] += 1
        def wait(count, parity, what):
            assert (count & 1) != parity, f"deadlock at {what}: completed {count}, parity {parity}"
        qfull += 1  # Q of A
        for i in range(min(STAGES, total)): load(i, i)
        stage, phase, item = 0, 0, 0
        for part in range(2):
            block = A if part == 0 else B
            if block < 0: break
            T = TA if part == 0 else TB
            if part == 1 and TA == 0: qfull += 1
            wait(qfull, part, f"qFull part {part}")
            for kt in range(T):
                wait(fullK[stage], phase, f"fullK s{stage} item {item}")
                tile = item if item < TA else item - TA
                assert slot[stage] == item, (slot[stage], item)
                assert tile == kt, (tile, kt)
                if item >= 1 and item - 1 + STAGES < total:
                    prev = STAGES - 1 if stage == 0 else stage - 1
                    wait(empty[prev], phase ^ 1 if stage == 0 else phase, f"empty s{prev} item {item}")
                    load(item - 1 + STAGES, prev)
                if part == 0 and kt == T - 1 and B >= 0: qfull += 1
                wait(fullV[stage], phase, f"fullV s{stage} item {item}")
                empty[stage] += 1
                visited[(block, kt)] = True
                stage += 1
                if stage == STAGES: stage = 0; phase ^= 1
                item += 1
        # every block of the head exactly once, with all its tiles
    blocks = set(b for b, _ in visited)
    for b in range(nBlocks):
        T = block_tiles(nq, nk, b, causal, tiles)
        for kt in range(T): assert (b, kt) in visited, (b, kt)
    return True
n = 0
for nq in [1, 63, 64, 65, 128, 129, 700, 960, 1000, 1500, 2048, 4100]:
    for nk in [1, 17, 128, 129, 700, 1500, 2048, 3000, 4100]:
        for causal in (False, True):
            for st in (2, 3):
                run(nq, nk, causal, st); n += 1
print("ok", n)
