#!/usr/bin/env python3
"""PyTorch CPU scaled_dot_product_attention in float32, the kernel TorchSharp-cpu's SDPA calls (same libtorch),
for issue 4's emulator comparison: B=1, H=8, N=4096, d=128. Median of 5 after one warm-up; prints one line."""
import time, statistics, torch
torch.manual_seed(1)
q, k, v = (torch.randn(1, 8, 4096, 128, dtype=torch.float32) for _ in range(3))
torch.nn.functional.scaled_dot_product_attention(q, k, v)
times = []
for _ in range(5):
    t = time.perf_counter(); torch.nn.functional.scaled_dot_product_attention(q, k, v); times.append(time.perf_counter() - t)
print(f"torch {torch.__version__} CPU SDPA float32 B=1 H=8 N=4096 d=128, {torch.get_num_threads()} threads: median {statistics.median(times)*1000:.1f} ms (min {min(times)*1000:.1f})")
