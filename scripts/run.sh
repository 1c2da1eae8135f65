#!/usr/bin/env bash
# `make run`: the main job on the embedded defaults. Until `peergate serve` is built in, that
# is `peergate review` over the bundled samples, printing each decision.
set -uo pipefail
peergate=${1:-build/peergate}
cd "$(dirname "$0")/.."
for sample in samples/reviews/*.json samples/objects/*.json; do
  "$peergate" review --output text "$sample"
done
exit 0
