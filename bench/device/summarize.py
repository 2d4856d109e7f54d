"""Medians and ratios of a cpu-vs-torch.sh run: for each shape and thread count, the median GFLOP/s of
PyTorch and of ours (own threads, parallel units) over the rounds, the median of the per-round ratios
ours / torch (each round's pair ran back to back), and ours' median ratio to the FMA probe."""
import json, statistics, sys
from collections import defaultdict

rows = defaultdict(lambda: defaultdict(dict))  # key -> mode -> round -> record
for path in sys.argv[1:]:
    for line in open(path):
        if line.startswith("{"):
            r = json.loads(line)
            key = (r["dim"], r["causal"], r["threads"])
            rows[key][r["mode"]][r["round"]] = r

print(f"{'dim':>4} {'causal':>6} {'thr':>4} {'torch':>8} {'mode':>6} {'ours':>8} {'ours/torch':>11} {'ours/probe':>11}  rounds")
for key in sorted(rows):
    torch = rows[key].get("torch", {})
    for mode in ("own", "units"):
        ours = rows[key].get(mode)
        if not ours:
            continue
        pairs = [ours[k]["gflops"] / torch[k]["gflops"] for k in ours if k in torch]
        probe = [o["ratio"] for o in ours.values() if o.get("ratio")]
        print(f"{key[0]:>4} {str(key[1]):>6} {key[2]:>4} {statistics.median(t['gflops'] for t in torch.values()):>8.1f} "
              f"{mode:>6} {statistics.median(o['gflops'] for o in ours.values()):>8.1f} "
              f"{statistics.median(pairs) if pairs else float('nan'):>11.2f} "
              f"{statistics.median(probe) if probe else float('nan'):>11.2f}  {len(ours)}")
