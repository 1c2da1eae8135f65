#!/usr/bin/env bash
# Benchmark of `peergate serve` against nginx as the transport ceiling (docs/server.md, "Benchmark").
#
#   bench/server/run.sh BUILD_DIR|PEERGATE_BINARY [SOURCE_DIR]
#
# On loopback, over TLS with keep-alive, wrk POSTs an 8 KiB AdmissionReview (make_review.py) to
# /admit. peergate runs with one I/O thread pinned to one core, wrk pinned to the other. In the
# same run nginx (one worker, same core, same certificate and TLS versions) answers a static body
# of the same size as peergate's answer. Prints requests/s, p50/p99 latency, the ratio
# peergate/nginx and peergate's peak RSS, each against its target; then, when valgrind is
# installed, the instructions per request (bench/server/instructions.py, the CPU figure a shared
# machine does not blur), and when heaptrack is, the heap allocations per request
# (bench/server/allocations.py). Not a test: the exit status is 0 unless something failed to run
# or a request failed.
#
# Environment: BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (default 16),
#              BENCH_SERVER_CPU (default 0), BENCH_CLIENT_CPU (default 1),
#              BENCH_INSTRUCTIONS (0: skip the instruction count),
#              BENCH_ALLOCATIONS (0: skip the allocation count).
# Needs: wrk, nginx (Debian nginx-light), taskset (util-linux), curl, /usr/bin/python3;
#        valgrind for the instruction count, heaptrack for the allocation count.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
target=${1:?usage: run.sh BUILD_DIR|PEERGATE_BINARY [SOURCE_DIR]}
if [ -d "$target" ]; then target=$target/peergate; fi
peergate=$(realpath "$target")
source_dir=$(realpath "${2:-$here/../..}")
duration=${BENCH_DURATION:-10}
connections=${BENCH_CONNECTIONS:-16}
server_cpu=${BENCH_SERVER_CPU:-0}
client_cpu=${BENCH_CLIENT_CPU:-1}
py=/usr/bin/python3
[ -x "$py" ] || py=python3

for tool in wrk nginx taskset curl; do
  if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
    echo "bench: $tool is missing (apt-get install wrk nginx-light util-linux curl)" >&2
    exit 2
  fi
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d "${TMPDIR:-/tmp}/peergate-bench-XXXXXX")
peergate_pid=""
nginx_pid=""
cleanup() {
  [ -n "$peergate_pid" ] && kill "$peergate_pid" 2>/dev/null && wait "$peergate_pid" 2>/dev/null
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$py" "$here/make_review.py" "$source_dir" "$work/review.json" >/dev/null
review_bytes=$(stat -c %s "$work/review.json")

# --- peergate -----------------------------------------------------------------------------------
taskset -c "$server_cpu" "$peergate" serve --listen 127.0.0.1:0 --port-file "$work/port" --threads 1 \
  --cert-dir "$work/certs" --policies "$source_dir/policies" 2>"$work/peergate.log" &
peergate_pid=$!
for _ in $(seq 200); do
  [ -s "$work/port" ] && break
  kill -0 "$peergate_pid" 2>/dev/null || { cat "$work/peergate.log" >&2; exit 1; }
  sleep 0.05
done
peergate_port=$(cat "$work/port")
ca="$work/certs/ca.crt"

curl -sS --fail --cacert "$ca" -H 'Content-Type: application/json' --data-binary @"$work/review.json" \
  -o "$work/response.json" "https://localhost:$peergate_port/admit?timeout=10s"
grep -q '"allowed":true' "$work/response.json" || { echo "bench: unexpected answer: $(cat "$work/response.json")" >&2; exit 1; }
grep -q '"patch"' "$work/response.json" || { echo "bench: the answer has no patch" >&2; exit 1; }
response_bytes=$(stat -c %s "$work/response.json")

# --- nginx: the same certificate, a static answer of the same size ------------------------------
if grep -q "['\\\$]" "$work/response.json"; then
  echo "bench: the answer cannot be inlined in nginx.conf" >&2
  exit 1
fi
nginx_port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/nginx/logs" "$work/nginx/tmp"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
master_process off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/tmp/body;
  proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi;
  uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 90s;
  client_body_buffer_size 16k;
  server {
    listen 127.0.0.1:$nginx_port ssl;
    ssl_certificate $work/certs/tls.crt;
    ssl_certificate_key $work/certs/tls.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location = /admit {
      default_type application/json;
      return 200 '$(cat "$work/response.json")';
    }
  }
}
CONF
taskset -c "$server_cpu" "$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" 2>"$work/nginx/stderr" &
nginx_pid=$!
for _ in $(seq 200); do
  curl -s --cacert "$ca" -o /dev/null "https://localhost:$nginx_port/admit" 2>/dev/null && break
  kill -0 "$nginx_pid" 2>/dev/null || { cat "$work/nginx/stderr" >&2; exit 1; }
  sleep 0.05
done
curl -sS --fail --cacert "$ca" -H 'Content-Type: application/json' --data-binary @"$work/review.json" \
  -o "$work/nginx-response.json" "https://localhost:$nginx_port/admit"
nginx_bytes=$(stat -c %s "$work/nginx-response.json")

# --- load ----------------------------------------------------------------------------------------
load() {  # load PORT SECONDS -> the RESULT line
  BENCH_REVIEW="$work/review.json" taskset -c "$client_cpu" wrk -t1 -c"$connections" -d"$2"s \
    -s "$here/admit.lua" "https://127.0.0.1:$1/admit?timeout=10s" | grep '^RESULT'
}
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }

echo "peergate bench: $review_bytes-byte review POSTed to /admit, $response_bytes-byte answer (nginx: $nginx_bytes)," \
     "$connections keep-alive connections, ${duration}s per server; servers on CPU $server_cpu, wrk on CPU $client_cpu"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # user + system time of a process
measure() {  # measure PID PORT -> the RESULT line with cpu_ticks= appended
  local before after result
  load "$2" 2 >/dev/null  # warm-up
  before=$(cpu_ticks "$1")
  result=$(load "$2" "$duration")
  after=$(cpu_ticks "$1")
  echo "$result cpu_ticks=$((after - before))"
}
pg=$(measure "$peergate_pid" "$peergate_port")
ng=$(measure "$nginx_pid" "$nginx_port")
rss_kib=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$peergate_pid/status")
load_average=$(cut -d' ' -f1-3 /proc/loadavg)

"$py" - "$pg" "$ng" "$rss_kib" "$connections" "$(getconf CLK_TCK)" "$load_average" <<'PY'
import sys
def parse(line):
    return {k: float(v) for k, v in (kv.split("=") for kv in line.split()[1:])}
pg, ng, rss_kib, conns = parse(sys.argv[1]), parse(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ticks, load_average = int(sys.argv[5]), sys.argv[6]
for r in (pg, ng):
    r["cpu_us"] = r["cpu_ticks"] * 1e6 / ticks / max(r["requests"], 1)
ratio = pg["rps"] / ng["rps"]
rss = rss_kib / 1024
print(f"{'':18}{'requests/s':>12}{'p50 ms':>10}{'p90 ms':>10}{'p99 ms':>10}{'max ms':>10}{'CPU us/req':>12}")
for name, r in (("peergate serve", pg), ("nginx (ceiling)", ng)):
    print(f"{name:18}{r['rps']:>12.0f}{r['p50_us']/1000:>10.3f}{r['p90_us']/1000:>10.3f}{r['p99_us']/1000:>10.3f}"
          f"{r['max_us']/1000:>10.3f}{r['cpu_us']:>12.1f}")
print(f"load average {load_average} (figures from a shared machine vary; CPU us/req is the steadier one;"
      f" CPU ratio nginx/peergate {ng['cpu_us'] / pg['cpu_us']:.2f})")
def verdict(ok):
    return "ok" if ok else "MISSED"
print(f"ratio peergate/nginx: {ratio:.2f} (target >= 0.8: {verdict(ratio >= 0.8)}; stretch 1.0: {verdict(ratio >= 1.0)})")
print(f"peergate p99 at {conns} connections: {pg['p99_us']/1000:.3f} ms (target < 1 ms: {verdict(pg['p99_us'] < 1000)})")
print(f"peergate peak RSS: {rss:.1f} MiB (target < 16 MiB: {verdict(rss < 16)})")
errors = sum(r[k] for r in (pg, ng) for k in ("non2xx", "connect_errors", "read_errors", "write_errors", "timeouts"))
if errors:
    print(f"bench: {int(errors)} requests failed", file=sys.stderr)
    sys.exit(1)
PY

if [ "${BENCH_INSTRUCTIONS:-1}" != 0 ]; then
  if command -v valgrind >/dev/null 2>&1; then
    "$py" "$here/instructions.py" "$peergate" "$source_dir"
  else
    echo "instructions per request: not measured (valgrind is missing: apt-get install valgrind)"
  fi
fi

if [ "${BENCH_ALLOCATIONS:-1}" != 0 ]; then
  if command -v heaptrack >/dev/null 2>&1; then
    "$py" "$here/allocations.py" "$peergate" "$source_dir"
  else
    echo "heap allocations per request: not measured (heaptrack is missing: apt-get install heaptrack)"
  fi
fi
