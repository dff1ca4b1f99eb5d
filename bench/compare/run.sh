#!/usr/bin/env bash
# Our SDK against the reference @auth0/auth0-auth-js, same operations, same emulator process,
# same machine, one table: `bash bench/compare/run.sh` from a fresh clone.
#
# Installs the pinned reference from package-lock.json (npm ci) when node_modules is missing,
# builds the Rust side in release mode, then runs the driver (crates/auth0-auth/examples/compare.rs),
# which starts the emulator on 127.0.0.1, runs reference.mjs and our side one after the other and
# prints the table. Extra arguments go to the driver (`--quick` for a short smoke run,
# `--json PATH` to keep the raw timings). Everything stays on loopback; only `npm ci` uses the
# network.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "bench/compare: needs Node.js 20+ and npm" >&2
    exit 1
fi
if [ ! -d "$here/node_modules/@auth0/auth0-auth-js" ]; then
    (cd "$here" && npm ci --no-audit --no-fund >&2)
fi

bash "$here/cold_start.sh" $(printf '%s\n' "$@" | grep -x -- --quick || true)
bash "$here/cookies.sh" $(printf '%s\n' "$@" | grep -x -- --quick || true)
if command -v redis-server >/dev/null; then bash "$here/token_cache.sh" $(printf '%s\n' "$@" | grep -x -- --quick || true); else echo "bench/compare: redis-server is missing (apt-get install -y redis-server): the token-cache rows are skipped" >&2; fi
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
cargo build --release --quiet -p auth0-auth --example compare >&2
"$target/release/examples/compare" --script "$here/reference.mjs" "$@"
# The token path's client CPU and 64-way throughput next to raw reqwest (issue 19).
cargo build --release --quiet -p auth0-auth --example token_cpu >&2
"$target/release/examples/token_cpu" $(printf '%s\n' "$@" | grep -x -- --quick || true)
# Access-token verification against express-oauth2-jwt-bearer (pinned in api/, its own lockfile).
[ -d "$here/api/node_modules/express-oauth2-jwt-bearer" ] || (cd "$here/api" && npm ci --no-audit --no-fund >&2)
cargo build --release --quiet -p auth0-api --example compare_verify >&2 && exec "$target/release/examples/compare_verify" "$@"
