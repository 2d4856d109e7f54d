#!/usr/bin/env bash
# Prints the sha256 of the job's outputs (O and LSE) on a fixed list of cases, for one SIMD tile
# shape, so a refactor can be shown byte-identical: run it before and after and diff the lists.
# Usage, from the project root after `mvn -q -DskipTests package`:
#   bench/output-hashes.sh 4x2|6x4 [work-dir]
# The tile is forced with the kernel request simd:4x2 or simd:6x4 (the SIMD provider's tile option); the
# job runs in local mode with two threads on the plain JVM (no SparkSubmit), so only the code under test
# differs.
set -euo pipefail
tile=${1:?usage: bench/output-hashes.sh 4x2|6x4 [work-dir]}
work=${2:-$(mktemp -d)}
case "$tile" in
  4x2 | 6x4) kernel="simd:$tile" ;;
  *) echo "unknown tile $tile, expected 4x2 or 6x4" >&2; exit 2 ;;
esac
jar=$(ls "$PWD"/job/target/longattn-job-*.jar | grep -v -- '-all.jar' | sed -n 1p)
cp="$jar:$(cat job/target/launcher/classpath.txt)"
read -r -a flags < job/target/launcher/jvm.flags
j() { java "${flags[@]}" -Dlog4j2.configurationFile=file:"$PWD"/conf/log4j2.properties -cp "$cp" io.longattn.job.Main "$@"; }
gen() { local d=$work/$1; shift; [ -f "$d/q.npy" ] || j gen --out "$d" "$@" >/dev/null 2>&1; }
run() {
  local name=$1 d=$work/$2; shift 2
  j run --q "$d/q.npy" --k "$d/k.npy" --v "$d/v.npy" --out "$work/$name.o.npy" --lse "$work/$name.lse.npy" \
    --overwrite --master 'local[2]' --kernel "$kernel" "$@" 2>"$work/$name.log" >/dev/null || { cat "$work/$name.log" >&2; exit 1; }
  printf '%s %s %s\n' "$name" "$(sha256sum < "$work/$name.o.npy" | cut -c1-16)" "$(sha256sum < "$work/$name.lse.npy" | cut -c1-16)"
}
gen demo --seq 65536 --heads 2 --dim 64
gen gqa --seq 3000 --kv-seq 3500 --heads 8 --kv-heads 2 --dim 64 --seed 2
gen sq --seq 4096 --heads 2 --dim 64 --seed 3
gen dv --seq 3000 --heads 3 --dim 96 --v-dim 40 --seed 4
gen decode --seq 64 --kv-seq 60000 --heads 1 --dim 64 --seed 5
echo "# tile $tile"
run demo demo --causal
run gqa-causal gqa --causal
run window sq --window 300,50
run window-stream sq --window 300,50 --strategy stream --partitions 3
run softcap sq --softcap 30 --scale 0.2
run dv dv --causal
run split-kv decode --strategy split-kv --partitions 4
