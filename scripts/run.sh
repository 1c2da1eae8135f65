#!/usr/bin/env bash
# `make run`: the main job on the embedded defaults. It shows the offline chain on the bundled
# samples, then starts `peergate serve` on 127.0.0.1:9443 with the shipped policies and a fresh
# self-signed certificate, and prints a curl line that shows a denial over TLS.
set -uo pipefail
peergate=${1:-build/peergate}
cd "$(dirname "$0")/.."

echo "== peergate review over samples/ (offline, the same chain the webhook runs)"
for sample in samples/reviews/*.json samples/objects/*.json; do
  "$peergate" review --output text "$sample"
done

if ! "$peergate" serve --help >/dev/null 2>&1; then
  exit 0  # built without the server
fi
cert_dir=$(mktemp -d "${TMPDIR:-/tmp}/peergate-certs.XXXXXX")
echo
echo "== peergate serve on https://127.0.0.1:9443 (Ctrl-C to stop)"
echo "   In another terminal, a denial over TLS:"
echo "   curl --cacert $cert_dir/ca.crt -H 'Content-Type: application/json' --data @samples/reviews/pod-peer-denied.json https://127.0.0.1:9443/admit"
echo "   and an allowed peer pod with its patch:"
echo "   curl --cacert $cert_dir/ca.crt -H 'Content-Type: application/json' --data @samples/reviews/pod-peer-allowed.json https://127.0.0.1:9443/admit"
echo
exec "$peergate" serve --listen 127.0.0.1:9443 --cert-dir "$cert_dir" --log-format text
