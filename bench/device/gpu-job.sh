#!/usr/bin/env bash
# The end-to-end GPU job on the accelerator machine: generates Q/K/V (seeded), runs the Spark job in
# local mode with --kernel cuda, checks sampled rows against float64 in numpy (bench/spot_check.py),
# then times the bare kernel on the same shape (CudaBench, CUDA events) so the job wall can be put
# beside it. Spark's jars travel in three parts (../shared/device/spark-parts.sh; the job jar and
# kernels-cuda with JCuda's jars go in the last part), unpacked into CP_DIR by the calls before.
# PRECISION=tf32|fp16|bf16 runs both the job and the bare kernel in that precision (default fp32).
# Usage: JAVA=... [KERNEL=cuda] [PRECISION=P] [BENCH=0] bench/device/gpu-job.sh CP_DIR JVM_FLAGS_FILE OUT_DIR [--seq N] [job flags...]
set -euo pipefail
cpdir=$1; flags=$2; out=$3; shift 3
seq=1048576
if [ "${1:-}" = "--seq" ]; then seq=$2; shift 2; fi
work=${WORK:-/tmp/longattn-gpu-job}
heap=48g
# shellcheck source=spark-env.sh
source "$(dirname "$0")/spark-env.sh"
[ -f "$work/d/q.npy" ] || j gen --seq "$seq" --heads 1 --dim 64 --out "$work/d" 2>&1 | tail -1
t0=$(date +%s%N)
j run --q "$work/d/q.npy" --k "$work/d/k.npy" --v "$work/d/v.npy" --out "$work/d/o.npy" --lse "$work/d/lse.npy" \
  --causal --kernel "${KERNEL:-cuda}" --precision "${PRECISION:-fp32}" --overwrite --report "$out/report.json" "$@" 2>&1 | tee "$out/job.log" | tail -5
t1=$(date +%s%N)
echo "command wall (JVM start to exit): $(( (t1 - t0) / 1000000 )) ms" | tee -a "$out/job.log"
python3 "$here/bench/spot_check.py" "$work/d" | tee "$out/spot_check.txt"
sha256sum "$work/d/o.npy" | tee "$out/o.sha256"
[ "${BENCH:-1}" = 1 ] || exit 0
"$JAVA" -Xmx24g -cp "$cp" io.longattn.kernels.cuda.CudaBench --seq "$seq" --heads 1 --dim 64 --causal --precision "${PRECISION:-fp32}" --reps 3 --warmup 1 \
  --check 0 | tee "$out/kernel.json"
