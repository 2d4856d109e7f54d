#!/usr/bin/env bash
# Spark GPU discovery script: prints the GPUs of this host as Spark's ResourceInformation JSON, e.g.
#   {"name": "gpu", "addresses": ["0", "1"]}
# Point Spark at it (see conf/spark-defaults-gpu.conf.example):
#   spark.executor.resource.gpu.discoveryScript  /path/to/getGpusResources.sh
# Addresses are CUDA device ordinals as this process sees them (after CUDA_VISIBLE_DEVICES). With no
# nvidia-smi or no GPU it prints an empty address list, which Spark reports as too few GPUs for the
# executor's resource request.
set -euo pipefail
if command -v nvidia-smi >/dev/null 2>&1; then
  ids=$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null | tr -d ' ' | grep -E '^[0-9]+$' || true)
else
  ids=""
fi
if [ -n "${CUDA_VISIBLE_DEVICES:-}" ] && [ -n "$ids" ]; then
  # the ordinals a CUDA program sees are 0..n-1 over the visible devices
  n=$(echo "${CUDA_VISIBLE_DEVICES}" | tr ',' '\n' | grep -c . || true)
  ids=$(seq 0 $((n - 1)))
fi
addrs=$(echo "$ids" | grep . | sed 's/.*/"&"/' | paste -sd, - || true)
echo "{\"name\": \"gpu\", \"addresses\": [${addrs}]}"
