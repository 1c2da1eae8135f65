#!/usr/bin/env bash
# ctest's check of engine_bench, not a measurement: every scenario for 20 reviews, at the 10-entry
# list size and without the rotating variant, the compact one with the server benchmark's review
# made as bench/run.sh makes it. engine_bench exits 2 when a
# scenario takes another path than the one it measures: that fails here, not in the next person's
# benchmark run.
#   bench/engine/smoke.sh ENGINE_BENCH SOURCE_DIR
set -euo pipefail
engine_bench=$1
source_dir=$2
review=$(mktemp --suffix=.json)
trap 'rm -f "$review"' EXIT
/usr/bin/python3 "$source_dir/bench/server/make_review.py" "$source_dir" "$review" > /dev/null
"$engine_bench" --compact-review "$review" --count 20 --warmup 0 --sizes 10 --no-rotate
