#!/usr/bin/env bash
# Runs the benchmarks against an existing build (`make bench` builds first):
#   bench/run.sh BUILD_DIR [engine_bench options...]
# 1. the in-process engine benchmark, pinned to one core (about 30 s), then its instructions per
#    review under callgrind (bench/engine/instructions.sh, about 30 s; skipped without valgrind);
# 2. bench/server/run.sh BUILD_DIR, when it exists and is executable;
# 3. bench/server/memory.py BUILD_DIR: peak RSS at the body limit and under load;
# 4. bench/audit/run.sh BUILD_DIR.
# Benchmarks print figures and PASS/MISS against targets; a MISS does not fail this script.
set -euo pipefail

if [[ $# -lt 1 || "$1" == -h || "$1" == --help ]]; then
  echo "usage: $0 BUILD_DIR [engine_bench options...]" >&2
  exit 2
fi
build_dir=$1
shift
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

engine_bench=$build_dir/bench/engine/engine_bench
if [[ ! -x $engine_bench ]]; then
  echo "$0: $engine_bench not found; build first (make bench, or cmake --build $build_dir --target engine_bench)" >&2
  exit 1
fi

# One core, the same one every time: the target is reviews per second on one core. Core 1 when
# there is one (core 0 takes most interrupts), else core 0.
cpu=1
if [[ $(nproc --all) -lt 2 ]]; then cpu=0; fi

# The server benchmark's review too (compact, with managedFields, as the apiserver sends it).
compact_review=$(mktemp --suffix=.json)
trap 'rm -f "$compact_review"' EXIT
/usr/bin/python3 "$here/server/make_review.py" "$here/.." "$compact_review" > /dev/null

echo "== engine benchmark (taskset -c $cpu)"
taskset -c "$cpu" "$engine_bench" --review "$here/../samples/reviews/pod-peer-allowed.json" \
  --compact-review "$compact_review" "$@"

echo
echo "== instructions per review (callgrind; the figure that does not depend on the machine's load)"
"$here/engine/instructions.sh" "$build_dir"

server_run=$here/server/run.sh
if [[ -x $server_run ]]; then
  echo
  echo "== server benchmark ($server_run)"
  "$server_run" "$build_dir"
fi

memory_run=$here/server/memory.py
if [[ -x $memory_run ]]; then
  echo
  echo "== server memory ($memory_run)"
  "$memory_run" "$build_dir"
fi

audit_run=$here/audit/run.sh
if [[ -x $audit_run ]]; then
  echo
  echo "== audit benchmark ($audit_run)"
  "$audit_run" "$build_dir"
fi
