#!/usr/bin/env bash
# Runs every fuzz target (or the ones named) for a bounded time each and reports the executions.
#
#   fuzz/run.sh                 # every target, 60 s each
#   FUZZ_SECONDS=10 fuzz/run.sh # every target, 10 s each
#   fuzz/run.sh jwks discovery  # only these
#
# Works on stable Rust: cargo-fuzz builds with libFuzzer's coverage instrumentation and no
# sanitizer (AddressSanitizer needs nightly; set FUZZ_SANITIZER=address with a nightly
# toolchain to use it). Builds carry debug assertions, so integer overflow panics too.
# New corpus entries go to fuzz/corpus/<target> and crashes to fuzz/artifacts/<target>
# (both ignored by git); fuzz/seeds/<target> holds the committed starting inputs.
# Exit status: 0 when no target crashed.
set -uo pipefail
cd "$(dirname "$0")"

SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
SANITIZER="${FUZZ_SANITIZER:-none}"
ALL_TARGETS=(id_token logout_token discovery jwks token_response callback)
if [ "$#" -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL_TARGETS[@]}"); fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked || exit 1
fi

BUILD=(--sanitizer "$SANITIZER" --debug-assertions --release)
mkdir -p logs
for t in "${TARGETS[@]}"; do
    if ! cargo fuzz build "${BUILD[@]}" "$t" >"logs/build-$t.log" 2>&1; then
        tail -n 30 "logs/build-$t.log" >&2
        echo "the build of $t failed" >&2
        exit 1
    fi
done

total=0
crashed=()
printf '%-16s %8s %14s %s\n' target seconds executions result
for t in "${TARGETS[@]}"; do
    mkdir -p "corpus/$t" "seeds/$t"
    log="logs/$t.log"
    cargo fuzz run "${BUILD[@]}" "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1
    status=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
    runs=${runs:-0}
    total=$((total + runs))
    if [ "$status" -eq 0 ]; then
        result=ok
    else
        result="CRASH (exit $status; see fuzz/$log and fuzz/artifacts/$t)"
        crashed+=("$t")
    fi
    printf '%-16s %8s %14s %s\n' "$t" "$SECONDS_PER_TARGET" "$runs" "$result"
done
echo "total executions: $total"
if [ "${#crashed[@]}" -gt 0 ]; then
    echo "crashed: ${crashed[*]}"
    exit 1
fi
echo "no crashes"
