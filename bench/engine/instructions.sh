#!/usr/bin/env bash
# Instructions per review, the steady figure: callgrind counts the instructions of engine_bench
# running one scenario for N and for 6N reviews; the difference divided by 5N leaves out start-up,
# policy loading and warm-up. Independent of the machine's load, unlike reviews per second, so
# it is the figure to compare before and after a change (the reference codec is measured in the
# same way, in the same build). simdjson picks its kernel at run time, and valgrind's CPU has no
# AVX-512: under callgrind it runs its AVX2 kernel, so these counts are of that kernel, not of the
# one engine_bench's reviews/s use on this machine (icelake, AVX-512).
#   bench/engine/instructions.sh BUILD_DIR [SCENARIO...]
# Needs valgrind. Prints one line per scenario; exit status 0 unless something failed to run.
set -euo pipefail
build=${1:?usage: instructions.sh BUILD_DIR [SCENARIO...]}
shift
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] ||
  scenarios=(apiserver-9k apiserver-9k/reference not-peer-pod-9k not-peer-pod-9k/reference)
bench=$build/bench/engine/engine_bench
[ -x "$bench" ] || { echo "instructions.sh: $bench not built" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "instructions per review: skipped (valgrind missing: apt-get install valgrind)"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=200
count() {  # instructions of one run of $1 reviews of scenario $2
  valgrind --tool=callgrind --callgrind-out-file="$work/out" "$bench" --scenario "$2" --sizes 10 --no-rotate \
    --count "$1" --warmup 0 >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
  sed -n 's/^summary: //p' "$work/out"
}
printf '%-28s %14s\n' scenario "instr/review"
for s in "${scenarios[@]}"; do
  small=$(count $n "$s")
  large=$(count $((6 * n)) "$s")
  printf '%-28s %14d\n' "$s" $(((large - small) / (5 * n)))
done
