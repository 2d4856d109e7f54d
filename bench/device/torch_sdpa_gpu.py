"""PyTorch's CUDA scaled_dot_product_attention on one shape and backend, timed with CUDA events (warm-up,
then the median of the timed calls). FLOPs count only unmasked pairs, as LongAttn's figures do.
Prints one JSON line."""
import argparse, json, statistics
import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

p = argparse.ArgumentParser()
p.add_argument("--seq", type=int, required=True)
p.add_argument("--heads", type=int, default=1)
p.add_argument("--dim", type=int, default=64)
p.add_argument("--causal", action="store_true")
p.add_argument("--dtype", choices=["float32", "bfloat16", "float16"], default="float32")
p.add_argument("--backend", choices=["efficient", "flash", "cudnn", "math"], default="efficient")
p.add_argument("--reps", type=int, default=10)
p.add_argument("--warmup", type=int, default=3)
a = p.parse_args()
backend = {"efficient": SDPBackend.EFFICIENT_ATTENTION, "flash": SDPBackend.FLASH_ATTENTION,
           "cudnn": SDPBackend.CUDNN_ATTENTION, "math": SDPBackend.MATH}[a.backend]
dtype = getattr(torch, a.dtype)
g = torch.Generator(device="cuda").manual_seed(42)
q, k, v = (torch.randn(1, a.heads, a.seq, a.dim, generator=g, device="cuda", dtype=dtype) for _ in range(3))
times = []
try:
    with torch.no_grad(), sdpa_kernel([backend]):
        for i in range(a.warmup + a.reps):
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            s.record()
            F.scaled_dot_product_attention(q, k, v, is_causal=a.causal)
            e.record()
            torch.cuda.synchronize()
            if i >= a.warmup:
                times.append(s.elapsed_time(e))
except RuntimeError as ex:
    print(json.dumps({"kernel": f"torch-{a.backend}", "dtype": a.dtype, "seq": a.seq, "heads": a.heads, "dim": a.dim,
                      "causal": a.causal, "error": str(ex).splitlines()[0]}), flush=True)
    raise SystemExit(0)
pairs = a.seq * (a.seq + 1) // 2 if a.causal else a.seq * a.seq
flops = 2.0 * pairs * a.heads * (a.dim + a.dim)
ms = statistics.median(times)
print(json.dumps({"kernel": f"torch-{a.backend}", "dtype": a.dtype, "torch": torch.__version__, "seq": a.seq,
                  "heads": a.heads, "dim": a.dim, "causal": a.causal, "ms": ms, "tflops": flops / (ms / 1e3) / 1e12,
                  "all_ms": times}), flush=True)
