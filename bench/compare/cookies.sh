#!/usr/bin/env bash
# The cookie session, ours against @auth0/auth0-server-js 1.12.1 in the same run: reading a
# 4 KB session from chunked cookies (reassemble, decrypt, parse) and writing it (serialize,
# encrypt, chunk). Ours: crates/auth0-server/examples/cookie_timing.rs (release, median of
# batches); the reference: crates/auth0-server/benches/node_cookies.mjs with the copy pinned in
# crates/auth0-server/tests/node (installed with `npm ci` when missing). CPU only, no network
# beyond `npm ci`. `--quick` for a short smoke run.
#
#   bash bench/compare/cookies.sh [--quick]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
node_dir="$root/crates/auth0-server/tests/node"
quick=""
for arg in "$@"; do [ "$arg" = "--quick" ] && quick="--quick"; done

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "bench/compare/cookies.sh: needs Node.js 20+ and npm" >&2
    exit 1
fi
if [ ! -d "$node_dir/node_modules/@auth0/auth0-server-js" ]; then
    (cd "$node_dir" && npm ci --no-audit --no-fund >&2)
fi
cd "$root"
cargo build --release --quiet -p auth0-server --example cookie_timing >&2
target_dir="${CARGO_TARGET_DIR:-$root/target}"

ours="$("$target_dir/release/examples/cookie_timing" $quick)"
theirs="$(node "$root/crates/auth0-server/benches/node_cookies.mjs")"

# "<side> session/<op>: <µs> µs/op" → the µs of one operation.
figure() { printf '%s\n' "$1" | awk -v op="session/$2:" '$2 == op { print $3 }'; }
echo
echo "cookie session, 4 KB, chunked (µs per operation, lower is better; load $(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?'))"
printf '%-12s %12s %18s %8s\n' operation auth0-server auth0-server-js ratio
for op in read_4kb_chunked write_4kb_chunked; do
    a="$(figure "$ours" "$op")"
    b="$(figure "$theirs" "$op")"
    ratio="$(awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0) printf "%.1fx", b / a; else print "?" }')"
    printf '%-12s %12s %18s %8s\n' "${op%%_*}" "$a" "$b" "$ratio"
done
