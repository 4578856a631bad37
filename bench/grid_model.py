#!/usr/bin/env python3
"""List-scheduling model of the main loop's causal grid (docs/results/gpu-run-session25-2026-11-27.md).

CTAs are dispatched in index order to the first free slot (SMs x CTAs per SM); a CTA of T key tiles holds its slot
for b + T tile-times, b being the per-block cost (fitted at 2K, d = 128: 2-3 tiles). Prints the makespan of each grid
order in tile-times and against the ideal (all work spread evenly), so that an order can be judged before device time.

  python3 bench/grid_model.py [--n 2048] [--heads 128] [--d 128] [--sms 132] [--b 2.5] [--b2 1.0]
"""
import argparse, heapq

p = argparse.ArgumentParser()
p.add_argument("--n", type=int, default=2048, help="query and key length")
p.add_argument("--heads", type=int, default=128, help="B x Hq")
p.add_argument("--d", type=int, default=128, help="head dim: 3 solo CTAs per SM at 128, 4 at 64")
p.add_argument("--sms", type=int, default=132)
p.add_argument("--b", type=float, default=2.5, help="per-block cost in tile-times")
p.add_argument("--b2", type=float, default=1.0, help="a paired CTA's second block's cost")
a = p.parse_args()

slots = a.sms * (3 if a.d == 128 else 4)
blocks = (a.n + 63) // 64


def tiles(block):  # K tiles of 128 keys that 64-row block `block` visits, causal (Nq = Nk)
    return (block * 64 + 64 + 127) // 128


def makespan(durations):
    free = [0.0] * slots
    heapq.heapify(free)
    end = 0.0
    for t in durations:
        start = heapq.heappop(free)
        end = max(end, start + t)
        heapq.heappush(free, start + t)
    return end


def head_major():
    return [a.b + tiles(blocks - 1 - c) for _ in range(a.heads) for c in range(blocks)]


def tail_interleaved(power_of_two=False):
    need = -(-slots // blocks)
    k = 1 << (need - 1).bit_length() if power_of_two else min(a.heads, need)  # main's kernel: the power of two (session 26)
    if k >= a.heads and power_of_two: return head_major()  # the kernel interleaves only when there are more heads than k
    order = [a.b + tiles(blocks - 1 - c) for _ in range(a.heads - k) for c in range(blocks)]
    return order + [a.b + tiles(blocks - 1 - c) for c in range(blocks) for _ in range(k)]


def paired():
    out = []
    for _ in range(a.heads):
        for c in range((blocks + 1) // 2):
            first, second = blocks - 1 - c, c
            out.append(a.b + tiles(first) + (a.b2 + tiles(second) if second < first else 0))
    return out


ideal = sum(head_major()) / slots
print(f"N={a.n} heads={a.heads} d={a.d}: {blocks} blocks per head, {slots} slots, b={a.b}, ideal {ideal:.1f} tile-times (one block per CTA, its work spread evenly)")
for name, grid in (("head-major, longest first per head", head_major()), ("tail heads interleaved", tail_interleaved()),
                   ("tail heads interleaved, k a power of two", tail_interleaved(True)),
                   (f"paired blocks (second block b={a.b2})", paired())):
    m = makespan(grid)
    print(f"  {name:40s} {m:8.1f}  ({m / ideal - 1:+.1%} over the ideal)")
