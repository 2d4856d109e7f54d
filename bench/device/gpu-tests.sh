#!/usr/bin/env bash
# Runs the CUDA kernel's JUnit tests (accuracy against float64, determinism, host-side checks) with JUnit's
# console launcher, on a machine with a GPU and no Maven. DIR holds the kernels jar and its tests jar,
# the kernels-cuda jar and its tests jar, JCuda's jars and junit-platform-console-standalone.
# Usage: JAVA=... bench/device/gpu-tests.sh DIR REPORTS_DIR
set -euo pipefail
dir=$1; reports=$2
cp=$(ls "$dir"/*.jar | grep -v console-standalone | tr '\n' ':')
# the host tests read src/main/cuda/attention.cu relative to the module
cd "$(dirname "$0")/../../kernels-cuda"
"$JAVA" -Xmx8g -jar "$dir"/junit-platform-console-standalone-*.jar execute --class-path "$cp" \
  --select-package io.longattn.kernels --include-classname '.*Cuda.*Test' --details=summary \
  --disable-banner --reports-dir "$reports"
