#!/bin/sh
# Regenerates the initdata fixtures with the real tools (GNU gzip and coreutils base64,
# sha256sum, sha384sum, sha512sum), as a pod author makes a cc_init_data annotation:
#   gzip -c initdata.toml | base64 -w0
# Run from this folder: sh make_fixtures.sh
set -eu
gzip -9 -n -c initdata.toml > initdata.toml.gz
base64 -w0 initdata.toml.gz > initdata.b64                     # one line, as documented upstream
base64 initdata.toml.gz > initdata.wrapped.b64                 # wrapped at 76 columns (base64's default)
gzip -1 -n -c initdata.toml > second.gz
cat initdata.toml.gz second.gz | base64 -w0 > concatenated.b64 # two gzip members: the document twice
head -c 100 initdata.toml.gz | base64 -w0 > truncated.b64      # the stream cut inside the deflate data
head -c $(( $(wc -c < initdata.toml.gz) - 4 )) initdata.toml.gz | base64 -w0 > truncated-trailer.b64
{ cat initdata.toml.gz; printf 'garbage'; } | base64 -w0 > trailing-garbage.b64
base64 -w0 initdata.toml > not-gzip.b64                        # base64 of the plain document
# A zip bomb: 10 MiB of zeros, 40 times the 256 KiB an initdata document may inflate to, in ~14 KB.
head -c 10M /dev/zero | gzip -9 -n | base64 -w0 > zip-bomb.b64
[ "$(wc -c < zip-bomb.b64)" -lt 102400 ] || { echo "zip-bomb.b64 is not small" >&2; exit 1; }
rm second.gz
sha256sum initdata.toml > initdata.toml.sha256
sha384sum initdata.toml > initdata.toml.sha384
sha512sum initdata.toml > initdata.toml.sha512
