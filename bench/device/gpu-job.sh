#!/usr/bin/env bash
# The end-to-end GPU job on the accelerator machine, beside the bare kernel, in one command: generates
# Q/K/V (seeded), runs the Spark job in local mode with --kernel cuda and its default partitions (one per
# GPU), prints its timeline (each task's compute and kernel seconds: the GPU's own time on the launches,
# from CUDA events), checks sampled rows against float64 in numpy (bench/spot_check.py), runs the job
# again with each flag set of ALSO_RUNS ('|' between sets; default: 16 partitions, the old local default,
# and units of 131,072 query rows, a few waves of blocks per launch instead of one) and requires the same
# output bits, then times the bare kernel on the same shape (CudaBench, CUDA events, one launch).
# Spark's jars travel in three parts (../shared/device/spark-parts.sh; the job jar and kernels-cuda with
# JCuda's jars go in the last part), unpacked into CP_DIR by the calls before. About 60 s at 2^20 tokens.
# PRECISION=fp32|tf32|fp16|bf16 runs both the job and the bare kernel in that precision (default bf16, the
# precision of issue 16's job target; fp32 is the exact kernel).
# Usage: JAVA=... [KERNEL=cuda] [PRECISION=P] [ALSO_RUNS="--partitions 16|--q-chunk 131072"] [BENCH=0] bench/device/gpu-job.sh CP_DIR JVM_FLAGS_FILE OUT_DIR [--seq N] [job flags...]
set -euo pipefail
cpdir=$1; flags=$2; out=$3; shift 3
seq=1048576
if [ "${1:-}" = "--seq" ]; then seq=$2; shift 2; fi
work=${WORK:-/tmp/longattn-gpu-job}
heap=48g
precision=${PRECISION:-bf16}
# shellcheck source=spark-env.sh
source "$(dirname "$0")/spark-env.sh"
[ -f "$work/d/q.npy" ] || j gen --seq "$seq" --heads 1 --dim 64 --out "$work/d" 2>&1 | tail -1
job() { # NAME [flags...]: one job run, its log and report under $out/NAME, its output's sha256 printed
  local name=$1; shift
  mkdir -p "$out/$name"
  local t0 t1
  t0=$(date +%s%N)
  j run --q "$work/d/q.npy" --k "$work/d/k.npy" --v "$work/d/v.npy" --out "$work/d/o.npy" --lse "$work/d/lse.npy" \
    --causal --kernel "${KERNEL:-cuda}" --precision "$precision" --overwrite --timeline --report "$out/$name/report.json" "$@" \
    2>&1 | tee "$out/$name/job.log" | grep '^longattn' | tail -3
  t1=$(date +%s%N)
  echo "$name: command wall (JVM start to exit): $(( (t1 - t0) / 1000000 )) ms" | tee -a "$out/$name/job.log"
  python3 - "$out/$name/report.json" <<'PY' | tee -a "$out/$name/job.log"
import json, sys
r = json.load(open(sys.argv[1])); c = r["timeline"]["compute"]
k = c.get("kernel_seconds")
print("compute phase %.3f s; task compute s %s; task kernel s %s%s" % (c["seconds"], c.get("task_seconds"), k,
      "" if not k else " (sum %.3f)" % sum(k)))
PY
  sha256sum "$work/d/o.npy" | cut -d' ' -f1 > "$out/$name/o.sha256"
}
job default "$@"
python3 "$here/bench/spot_check.py" "$work/d" | tee "$out/spot_check.txt"
IFS='|' read -r -a also <<< "${ALSO_RUNS---partitions 16|--q-chunk 131072}"
n=0
for flagset in "${also[@]}"; do
  n=$((n + 1))
  read -r -a extra <<< "$flagset"
  [ ${#extra[@]} -gt 0 ] || continue
  echo "also-$n: ${extra[*]}"
  job "also-$n" "${extra[@]}" "$@"
  if cmp -s "$out/default/o.sha256" "$out/also-$n/o.sha256"; then
    echo "also-$n (${extra[*]}): output bits identical to the default run"
  else
    echo "also-$n (${extra[*]}): OUTPUT BITS DIFFER from the default run"; exit 1
  fi
done
cat "$out/default/o.sha256"
[ "${BENCH:-1}" = 1 ] || exit 0
"$JAVA" -Xmx24g -cp "$cp" io.longattn.kernels.cuda.CudaBench --seq "$seq" --heads 1 --dim 64 --causal --precision "$precision" --reps 3 --warmup 1 \
  --check 0 | tee "$out/kernel.json"
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print('bare kernel: %.3f s (median of %d), %.1f TFLOP/s' % (r['ms']/1e3, len(r['all_ms']), r['tflops']))" "$out/kernel.json"
