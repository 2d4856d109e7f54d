#!/usr/bin/env bash
# Side by side on one machine: LongAttn's SIMD kernel (bench engine, with its FMA peak probe) and
# PyTorch's CPU scaled_dot_product_attention, float32, S = 16384, one head, at 1 and N threads.
# At T > 1 threads ours runs twice: on the kernel's own T threads, and as T parallel units (as T tasks
# of a job run). ROUNDS (default 2) repeats the whole set, alternating ours and torch, so the two are
# compared side by side on a machine whose speed drifts; summarize.py prints medians and ratios.
# Usage: [ROUNDS=N] JAVA=... bench/device/cpu-vs-torch.sh KERNELS_JAR OUT_DIR [THREADS...]
set -euo pipefail
jar=$1; out=$2; shift 2
[ $# -gt 0 ] && threads=("$@") || threads=(1 "$(nproc)")
rounds=${ROUNDS:-2}
here=$(cd "$(dirname "$0")" && pwd)
{ nproc; lscpu | grep -E 'Model name|^CPU\(s\)|Thread|MHz' || true; "$JAVA" -version 2>&1 | sed -n 1p; python3 -c 'import torch; print("torch", torch.__version__)'; } | tee "$out/machine.txt"
ours() {
  # shellcheck disable=SC2086
  "$JAVA" --add-modules=jdk.incubator.vector -Xmx8g -cp "$jar" io.longattn.kernels.bench.KernelBench \
    --seq 16384 --heads 1 --kernels simd --json --reps 5 --warmup 2 "$@" 2>/dev/null | grep '^{' \
    | sed "s/^{/{\"mode\":\"$mode\",\"round\":$r,/" | tee -a "$out/ours.jsonl"
}
for r in $(seq "$rounds"); do
  for shape in "--dim 64" "--dim 128" "--dim 64 --causal"; do
    for t in "${threads[@]}"; do
      # shellcheck disable=SC2086
      python3 "$here/torch_sdpa.py" --seq 16384 --heads 1 $shape --threads "$t" \
        | sed "s/^{/{\"mode\":\"torch\",\"round\":$r,/" | tee -a "$out/torch.jsonl"
      # shellcheck disable=SC2086
      mode=own ours $shape --threads "$t"
      # shellcheck disable=SC2086
      if [ "$t" -gt 1 ]; then mode=units ours $shape --threads "$t" --parallel-units; fi
    done
  done
done
python3 "$here/summarize.py" "$out/ours.jsonl" "$out/torch.jsonl" | tee "$out/summary.txt"
