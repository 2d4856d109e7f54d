#!/usr/bin/env bash
# Side by side on one GPU: LongAttn's CUDA kernels (CudaBench: CUDA events, median) in each precision of
# PRECISIONS (default: fp32 tf32 fp16 bf16) and PyTorch's scaled_dot_product_attention (fp32
# EFFICIENT_ATTENTION, the exact-mode baseline; bf16 and fp16 FLASH and CUDNN, the 16-bit baselines) on
# the issue's shapes, alternating ours and torch for ROUNDS rounds (default 2). The summary compares ours
# fp32 with torch fp32, ours tf32 with ours fp32, ours bf16/fp16 with torch FLASH and CUDNN of that dtype.
# Before timing it lists the HMMA/HGMMA counts and local-memory accesses of the fatbin's kernels and of the sm_90a
# cubin's (whose wgmma kernels run fp16 and bf16 on a Hopper) when cuobjdump is there.
# BACKENDS ('|' between "dtype backend" pairs) narrows torch's side, e.g. to the 16-bit baselines.
# Usage: [ROUNDS=N] [SHAPES="..."] [PRECISIONS="..."] [BACKENDS="..."] JAVA=... bench/device/gpu-vs-torch.sh CLASSPATH OUT_DIR
# CLASSPATH holds the kernels and kernels-cuda jars and JCuda's two jars.
set -euo pipefail
cp=$1; out=$2
rounds=${ROUNDS:-2}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
{ nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader || true
  "$JAVA" -version 2>&1 | sed -n 1p; python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'; } | tee "$out/machine.txt"
precisions=${PRECISIONS:-"fp32 tf32 fp16 bf16"}
# cuobjdump was not on the device's PATH: look in the CUDA toolkit's folders too
cuobjdump=$(command -v cuobjdump || ls /usr/local/cuda*/bin/cuobjdump 2>/dev/null | head -1 || true)
if [ -n "$cuobjdump" ]; then
  jar=$(tr ':' '\n' <<< "$cp" | grep kernels-cuda | grep -v tests | head -1)
  if [ -n "$jar" ]; then
    # unzip was not on the device either: Python's zipfile takes the GPU code out of the jar
    (cd "$out" && python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); [z.extract(n) for n in z.namelist() if n.startswith("io/longattn/kernels/cuda/longattn")]' "$jar" \
      && { "$cuobjdump" -sass io/longattn/kernels/cuda/longattn.fatbin; "$cuobjdump" -sass io/longattn/kernels/cuda/longattn_sm90a.cubin 2>/dev/null || true; } > sass.txt \
      && awk '/Function :/{f=$3} /HMMA|HGMMA/{h[f]++} /LDL|STL/{l[f]++} END{for(k in h) printf "sass %s HMMA/HGMMA %d local %d\n", k, h[k], l[k]+0}' sass.txt \
      | sort | tee sass-summary.txt) || true
  fi
fi
shapes=${SHAPES:-"--seq 16384 --heads 8 --dim 64|--seq 16384 --heads 8 --dim 128|--seq 65536 --heads 2 --dim 64 --causal|--seq 1048576 --heads 1 --dim 64 --causal"}
IFS='|' read -r -a list <<< "$shapes"
for r in $(seq "$rounds"); do
  for shape in "${list[@]}"; do
    for prec in $precisions; do
      # shellcheck disable=SC2086
      "$JAVA" -Xmx24g -cp "$cp" io.longattn.kernels.cuda.CudaBench $shape --precision "$prec" --reps 10 --warmup 3 --check 4 \
        | sed "s/^{/{\"round\":$r,/" | tee -a "$out/ours.jsonl"
    done
    IFS='|' read -r -a backends <<< "${BACKENDS:-float32 efficient|bfloat16 flash|bfloat16 cudnn|float16 flash|float16 cudnn}"
    for b in "${backends[@]}"; do
      set -- $b
      # shellcheck disable=SC2086
      python3 "$here/torch_sdpa_gpu.py" $shape --dtype "$1" --backend "$2" \
        | sed "s/^{/{\"round\":$r,/" | tee -a "$out/torch.jsonl"
    done
  done
done
python3 "$here/summarize_gpu.py" "$out/ours.jsonl" "$out/torch.jsonl" | tee "$out/summary.txt"
