#!/usr/bin/env bash
# Cold start: a fresh process's time from exec to its first token over loopback HTTPS, for our
# SDK (with and without the background warm-up, and built with AWS_LC_SYS_NO_JITTER_ENTROPY=1)
# and for the reference @auth0/auth0-auth-js on Node (module import included), in one run:
# `bash bench/compare/cold_start.sh [--quick] [--runs N] [--json PATH]`.
#
# Builds crates/auth0-auth/examples/cold_start.rs in release mode twice: as usual, and with the
# build switch into a target directory of its own (`nojitter` inside the usual one; set
# COLD_START_NO_JITTER=0 to skip that build). The driver starts the emulator behind a loopback
# TLS front and runs every variant as fresh processes. Everything stays on 127.0.0.1; only
# `npm ci` uses the network.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"

args=("$@")
if command -v node >/dev/null && command -v npm >/dev/null; then
    if [ ! -d "$here/node_modules/@auth0/auth0-auth-js" ]; then
        (cd "$here" && npm ci --no-audit --no-fund >&2)
    fi
    args+=(--script "$here/cold_start.mjs")
else
    echo "bench/compare/cold_start.sh: no Node.js; the reference side is skipped" >&2
fi

cd "$root"
cargo build --release --quiet -p auth0-auth --example cold_start >&2
if [ "${COLD_START_NO_JITTER:-1}" != 0 ]; then
    AWS_LC_SYS_NO_JITTER_ENTROPY=1 CARGO_TARGET_DIR="$target/nojitter" \
        cargo build --release --quiet -p auth0-auth --example cold_start >&2
    args+=(--other-exe "$target/nojitter/release/examples/cold_start")
fi
exec "$target/release/examples/cold_start" "${args[@]}"
