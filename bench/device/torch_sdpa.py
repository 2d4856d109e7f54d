"""PyTorch's CPU scaled_dot_product_attention on the same shapes as `bench kernel`, for a side-by-side
comparison on the accelerator machine's CPU cores. Prints one JSON line with the same fields."""
import argparse, json, statistics, time
import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--seq", type=int, default=16384)
p.add_argument("--heads", type=int, default=1)
p.add_argument("--dim", type=int, default=64)
p.add_argument("--causal", action="store_true")
p.add_argument("--threads", type=int, default=1)
p.add_argument("--reps", type=int, default=5)
p.add_argument("--warmup", type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)
g = torch.Generator().manual_seed(42)
q, k, v = (torch.randn(1, a.heads, a.seq, a.dim, generator=g, dtype=torch.float32) for _ in range(3))
times = []
with torch.no_grad():
    for i in range(a.warmup + a.reps):
        t0 = time.perf_counter()
        F.scaled_dot_product_attention(q, k, v, is_causal=a.causal)
        dt = time.perf_counter() - t0
        if i >= a.warmup:
            times.append(dt)
pairs = a.seq * (a.seq + 1) // 2 if a.causal else a.seq * a.seq
flops = 2.0 * pairs * a.heads * (a.dim + a.dim)
s = statistics.median(times)
print(json.dumps({"kernel": "torch-sdpa", "torch": torch.__version__, "seq": a.seq, "kv_seq": a.seq, "heads": a.heads,
                  "kv_heads": a.heads, "dim": a.dim, "causal": a.causal, "threads": a.threads, "seconds": s,
                  "gflops": flops / s / 1e9, "all_seconds": times}), flush=True)
