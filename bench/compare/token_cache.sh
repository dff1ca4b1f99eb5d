#!/usr/bin/env bash
# The token cache's rows (issue 19): an in-memory hit in ns, a hit through Redis next to one raw
# Redis GET (same run, interleaved), and token requests counted at the emulator for 4 processes x
# 250 tasks sharing Redis and for 1,000 concurrent tasks on one key:
# `bash bench/compare/token_cache.sh [--quick]`.
#
# Builds crates/auth0-redis/examples/token_cache_figures.rs in release mode and runs it; it starts
# its own redis-server (Debian's package: `apt-get install -y redis-server`) on a free loopback
# port with a temporary directory, and the emulator on 127.0.0.1. Nothing leaves loopback.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"

if ! command -v redis-server >/dev/null; then
    echo "bench/compare/token_cache.sh: redis-server is missing (apt-get install -y redis-server)" >&2
    exit 1
fi
cd "$root"
cargo build --release --quiet -p auth0-redis --example token_cache_figures >&2
exec "$target/release/examples/token_cache_figures" "$@"
