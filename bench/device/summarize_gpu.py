"""Medians per shape of gpu-vs-torch.sh's JSON lines, and ours / torch fp32 EFFICIENT per round (median)."""
import json, statistics, sys
from collections import defaultdict

ours = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
torch = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{")]
key = lambda j: (j["seq"], j["heads"], j["dim"], bool(j["causal"]))
tf = defaultdict(lambda: defaultdict(list))
per_round = defaultdict(dict)
for j in ours:
    tf[key(j)]["ours fp32"].append(j["tflops"])
    per_round[key(j)].setdefault(j["round"], {})["ours"] = j["tflops"]
for j in torch:
    if "error" in j:
        continue
    name = f'{j["kernel"]} {j["dtype"]}'
    tf[key(j)][name].append(j["tflops"])
    if j["kernel"] == "torch-efficient":
        per_round[key(j)].setdefault(j["round"], {})["torch"] = j["tflops"]
cols = ["ours fp32", "torch-efficient float32", "torch-flash bfloat16", "torch-cudnn bfloat16"]
print("shape | " + " | ".join(cols) + " | ours / torch fp32 (median of per-round ratios)")
for k in sorted(tf):
    ratios = [d["ours"] / d["torch"] for d in per_round[k].values() if "ours" in d and "torch" in d]
    cells = [f'{statistics.median(tf[k][c]):.1f}' if tf[k][c] else "-" for c in cols]
    ratio = f'{statistics.median(ratios):.2f}' if ratios else "-"
    print(f'S={k[0]} H={k[1]} D={k[2]}{" causal" if k[3] else ""} | ' + " | ".join(cells) + f" | {ratio}")
