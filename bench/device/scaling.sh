#!/usr/bin/env bash
# Strong scaling of the CPU job on one machine: the same problem on local-cluster[N,1,MEM] masters (N
# executor JVMs of one core each, a real standalone Master and Workers inside the driver JVM) for each N
# given, default settings (no --partitions), then a table of job wall, GFLOP/s, strong efficiency
# T1/(N*TN), task max/mean and the output's sha256 (identical at every point, or the script fails).
# Spark's jars travel as in gpu-job.sh (../shared/device/spark-parts.sh), unpacked into CP_DIR.
# The kernel is simd unless KERNEL names another (auto would take a GPU where there is one).
# Usage: JAVA=... [KERNEL=simd] bench/device/scaling.sh CP_DIR JVM_FLAGS_FILE OUT_DIR [N...]   (default 1 4 16)
set -euo pipefail
cpdir=$1; flags=$2; out=$3; shift 3
[ $# -gt 0 ] && points=("$@") || points=(1 4 16)
seq=${SEQ:-262144}
work=${WORK:-/tmp/longattn-scaling}
heap=16g
jobjar=$(ls "$cpdir"/longattn-job-*.jar | grep -v -- -all | sed -n 1p)
# shellcheck source=spark-env.sh
source "$(dirname "$0")/spark-env.sh"
[ -f "$work/d/q.npy" ] || j gen --seq "$seq" --heads 2 --dim 64 --out "$work/d" 2>&1 | tail -1
for n in "${points[@]}"; do
  j run --q "$work/d/q.npy" --k "$work/d/k.npy" --v "$work/d/v.npy" --out "$work/o$n.npy" --causal --overwrite \
    --master "local-cluster[$n,1,3072]" --conf spark.executor.extraClassPath="$cp" --conf spark.jars="$jobjar" \
    --kernel "${KERNEL:-simd}" --report "$out/report$n.json" 2>&1 | tee "$out/run$n.log" | grep -E '^longattn: (Sq|done)' || true
  sha256sum "$work/o$n.npy" | cut -c1-64 > "$out/sha$n.txt"
done
python3 - "$out" "${points[@]}" <<'PY' | tee "$out/summary.txt"
import json, sys
out, pts = sys.argv[1], [int(x) for x in sys.argv[2:]]
rows = {n: json.load(open(f"{out}/report{n}.json")) for n in pts}
shas = {n: open(f"{out}/sha{n}.txt").read().strip() for n in pts}
t1 = rows[pts[0]]["wall_seconds"] * pts[0]
print("executors | partitions | job wall s | GFLOP/s | strong efficiency | task max/mean | sha256")
for n in pts:
    r = rows[n]; ts = r["task_seconds"]
    print(f'{n} | {r["partitions"]} | {r["wall_seconds"]:.1f} | {r["gflops"]:.1f} | {t1 / (n * r["wall_seconds"]):.2f} | '
          f'{max(ts) / (sum(ts) / len(ts)):.2f} | {shas[n][:16]}')
if len(set(shas.values())) != 1:
    sys.exit("output bits differ between points")
PY
