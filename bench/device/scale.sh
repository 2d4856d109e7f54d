#!/usr/bin/env bash
# Strong, then weak scaling of the CPU job on one machine with `longattn scale`: a standalone Master and
# Workers of one core started by the command itself, 1, 2, 4, 8, 16 executors (default), 262,144 tokens,
# H=2, D=64, causal for strong; weak grows from 65,536 tokens at one executor to 262,144 at sixteen (S x
# sqrt(N)). Each mode writes results.csv, probe.csv (the machine's ceiling), time.png, efficiency.png and
# summary.md; they come back in OUT_DIR/scale.tgz with every run's JSON report and log, and the summaries
# are printed.
# The classpath is CP_DIR's jars, as in scaling.sh (../shared/device/spark-parts.sh); its probe job draws
# nothing, so add XChart to the last part by hand:
#   cp "$(tr : '\n' < job/target/launcher/classpath.txt | grep /xchart-)" .device/partC/
# The device has no git: set LONGATTN_COMMIT for results.csv's commit column. The kernel is simd unless
# KERNEL names another (auto would take a GPU where there is one).
# Usage: JAVA=... [KERNEL=simd] [MODES="strong weak"] [EXECUTORS=1,2,4,8,16] [SEQ=262144] [WEAK_SEQ=65536]
#        [REPS=1] [EXECUTOR_MEMORY=3g] bench/device/scale.sh CP_DIR JVM_FLAGS_FILE OUT_DIR [scale flags...]
set -euo pipefail
cpdir=$1; flags=$2; out=$3; shift 3
work=${WORK:-/tmp/longattn-scale}
heap=8g
# shellcheck source=spark-env.sh
source "$(dirname "$0")/spark-env.sh"
ls "$cpdir"/xchart-*.jar > /dev/null 2>&1 || { echo "scale.sh: no xchart-*.jar in $cpdir (see the header)" >&2; exit 2; }
status=0
for mode in ${MODES:-strong weak}; do
  case "$mode" in
    strong) seq=${SEQ:-262144} ;;
    weak) seq=${WEAK_SEQ:-65536} ;;
    *) echo "scale.sh: MODES: '$mode' is not strong or weak" >&2; exit 2 ;;
  esac
  # a failed mode still has its results.csv and summary: go on to the next, fail at the end
  rc=0
  j scale --mode "$mode" --executors "${EXECUTORS:-1,2,4,8,16}" --seq "$seq" --heads 2 --dim 64 --causal \
    --kernel "${KERNEL:-simd}" --reps "${REPS:-1}" --conf spark.executor.memory="${EXECUTOR_MEMORY:-3g}" \
    --out "$work/$mode" "$@" > "$out/scale-$mode.log" 2>&1 || rc=$?
  grep -v '^WARNING: Using incubator modules' "$out/scale-$mode.log" || true
  [ "$rc" = 0 ] || status=$rc
  if [ -f "$work/$mode/summary.md" ]; then cat "$work/$mode/summary.md"; fi
done
# inputs and outputs stay behind: only what was measured travels back
# (the executors' logs stay in, the jars Spark copied beside them do not)
(cd "$work" && tar czf "$out/scale.tgz" --exclude='*.jar' --exclude='*/cluster/spark-home' --exclude='*/cluster/*/local' \
  --exclude='*/cluster/driver-local' -- */results.csv */probe.csv */probe.log */summary.md */*.png */runs */cluster 2>/dev/null || true)
ls -la "$out"
exit "$status"
