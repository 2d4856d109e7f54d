"""Medians per shape of gpu-vs-torch.sh's JSON lines, and the issue's ratios, each the median of per-round
ratios: ours fp32 / torch fp32 EFFICIENT, ours tf32 / ours fp32, ours bf16 (fp16) / torch FLASH and CUDNN
of the same dtype. Also the largest spot-check error of ours per precision."""
import json, statistics, sys
from collections import defaultdict

ours = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
torch = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{")]
key = lambda j: (j["seq"], j["heads"], j["dim"], bool(j["causal"]))
tf = defaultdict(lambda: defaultdict(list))
rounds = defaultdict(lambda: defaultdict(dict))  # shape -> round -> column -> TFLOP/s
err = defaultdict(float)
for j in ours:
    col = f'ours {j.get("precision", "fp32")}'
    tf[key(j)][col].append(j["tflops"])
    rounds[key(j)][j["round"]][col] = j["tflops"]
    err[col] = max(err[col], j.get("max_err_rel_maxv", 0.0))
for j in torch:
    if "error" in j:
        continue
    col = f'{j["kernel"].replace("torch-", "torch ")} {j["dtype"]}'
    tf[key(j)][col].append(j["tflops"])
    rounds[key(j)][j["round"]][col] = j["tflops"]
cols = ["ours fp32", "ours tf32", "ours fp16", "ours bf16", "torch efficient float32", "torch flash float16",
        "torch cudnn float16", "torch flash bfloat16", "torch cudnn bfloat16"]
ratios = [("fp32/torch fp32", "ours fp32", "torch efficient float32"), ("tf32/ours fp32", "ours tf32", "ours fp32"),
          ("bf16/flash", "ours bf16", "torch flash bfloat16"), ("bf16/cudnn", "ours bf16", "torch cudnn bfloat16"),
          ("fp16/flash", "ours fp16", "torch flash float16"), ("fp16/cudnn", "ours fp16", "torch cudnn float16")]
print("TFLOP/s over unmasked pairs (medians)")
print("shape | " + " | ".join(cols))
for k in sorted(tf):
    cells = [f'{statistics.median(tf[k][c]):.1f}' if tf[k][c] else "-" for c in cols]
    print(f'S={k[0]} H={k[1]} D={k[2]}{" causal" if k[3] else ""} | ' + " | ".join(cells))
print()
print("ratios (median of per-round ratios)")
print("shape | " + " | ".join(r[0] for r in ratios))
for k in sorted(tf):
    cells = []
    for _, a, b in ratios:
        rs = [d[a] / d[b] for d in rounds[k].values() if a in d and b in d]
        cells.append(f"{statistics.median(rs):.2f}" if rs else "-")
    print(f'S={k[0]} H={k[1]} D={k[2]}{" causal" if k[3] else ""} | ' + " | ".join(cells))
print()
print("largest spot-check error of ours (|O - float64| / max|V|): "
      + ", ".join(f"{c}: {e:.2e}" for c, e in sorted(err.items())))
