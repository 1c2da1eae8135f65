#!/usr/bin/env bash
# `peergate audit` over a generated `kubectl get pods -A -o json` of 10 000 and 100 000 pods
# across 2 000 namespaces: input throughput on one core (target >= 1000 MB/s) and peak RSS (target
# < 64 MiB). Prints PASS/MISS against the targets; a MISS does not fail the script. peergate runs
# pinned to one core (taskset -c 1, when taskset exists): the audit is single-threaded, and a pinned
# run is not disturbed by the scheduler moving it on a shared machine. Meaningful in a Release build
# only.
# Usage: bench/audit/run.sh [BUILD_DIR] [N...]   (inputs are generated once under $TMPDIR)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-build}"
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000)
peergate="$build/peergate"
[ -x "$peergate" ] || { echo "bench/audit: $peergate not built" >&2; exit 2; }
work="${TMPDIR:-/tmp}/peergate-audit-bench"
mkdir -p "$work"

pin=()
command -v taskset > /dev/null && pin=(taskset -c 1)

printf '%-8s %10s %9s %9s %9s %11s %12s %7s  %s\n' pods "input MB" seconds "MB/s" "cpu s" "MB/cpu-s" "peak RSS" rows targets
for n in "${sizes[@]}"; do
  input="$work/pods-$n.json"
  if [ ! -s "$input" ]; then  # generated under another name first: an interrupted run leaves no half input
    /usr/bin/python3 "$root/bench/audit/generate_list.py" "$n" "$input.part"
    mv "$input.part" "$input"
  fi
  bytes=$(stat -c %s "$input")
  cat "$input" > /dev/null  # from the page cache: measure peergate, not the disk
  /usr/bin/time -v "${pin[@]}" "$peergate" audit -f "$input" --format json -o "$work/report-$n.json" 2> "$work/time-$n.txt" || {
    cat "$work/time-$n.txt" >&2
    exit 1
  }
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time-$n.txt")
  rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time-$n.txt")
  user=$(sed -n 's/.*User time (seconds): //p' "$work/time-$n.txt")
  sys=$(sed -n 's/.*System time (seconds): //p' "$work/time-$n.txt")
  rows=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["rows"])' "$work/report-$n.json")
  /usr/bin/python3 - "$n" "$bytes" "$wall" "$rss_kb" "$rows" "$user" "$sys" <<'PY'
import sys
n, size, wall, rss_kb, rows = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
cpu = float(sys.argv[6]) + float(sys.argv[7])
parts = [float(p) for p in wall.split(":")]
seconds = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
rate, rss = size / 1e6 / max(seconds, 1e-9), rss_kb / 1024
verdict = f"{'PASS' if rate >= 1000 else 'MISS'} >= 1000 MB/s, {'PASS' if rss < 64 else 'MISS'} < 64 MiB"
print(f"{n:<8} {size / 1e6:10.1f} {seconds:9.2f} {rate:9.1f} {cpu:9.2f} {size / 1e6 / max(cpu, 1e-9):11.1f} "
      f"{rss:8.1f} MiB {rows:>7}  {verdict}")
PY
done
# The targets are on the wall-clock rate; on a machine shared with other jobs the pinned core is
# shared too, and the rate per CPU second (user + system) says what peergate itself costs.
echo "(${pin[*]:+${pin[*]} }peergate audit -f FILE --format json -o FILE, embedded policies; inputs in $work)"
