#!/usr/bin/env bash
# Fuzzes the resident-ID parser and the import/feed row parsers with cargo-fuzz (libFuzzer), one target after the
# other, FUZZ_SECONDS each (default 600), single job. Prints one line per target
#   fuzz id_number: 1234567 runs in 600 s, 0 crashes
# and writes target/reliability/fuzz.json ([{target, runs, seconds, crashes}]). Exits non-zero if any target
# crashed (panic, overflow, out of memory, a timeout past FUZZ_TIMEOUT seconds); the reproducer is left in
# fuzz/artifacts/<target>/ and its path printed. See docs/fuzzing.md.
#
#   scripts/fuzz.sh                          all three targets, 600 s each
#   FUZZ_SECONDS=30 scripts/fuzz.sh          a short run
#   scripts/fuzz.sh feed_lines               one target
#
# Settings (environment): FUZZ_SECONDS (600), FUZZ_SANITIZER (address; `none` builds without AddressSanitizer),
# FUZZ_TIMEOUT (10: one input taking longer is a crash), FUZZ_MAX_LEN (16384 bytes), FUZZ_RSS_MB (2048).
# The machine has the stable toolchain only: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its -Z flags to it.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${FUZZ_SECONDS:-600}
sanitizer=${FUZZ_SANITIZER:-address}
timeout=${FUZZ_TIMEOUT:-10}
max_len=${FUZZ_MAX_LEN:-16384}
rss_mb=${FUZZ_RSS_MB:-2048}
all=(id_number retiree_rows feed_lines)
targets=("$@")
((${#targets[@]})) || targets=("${all[@]}")
for t in "${targets[@]}"; do
    [[ " ${all[*]} " == *" $t "* ]] || { echo "unknown target $t (targets: ${all[*]})" >&2; exit 2; }
done

export RUSTC_BOOTSTRAP=1
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-2}
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz" >&2
    cargo install --locked cargo-fuzz || exit 1
fi
# 16 codegen units: the instrumented release build of the whole dependency tree stays within minutes on 2 cores.
flags=(-s "$sanitizer" --codegen-units 16)
echo "building the fuzz targets (sanitizer: $sanitizer)" >&2
cargo fuzz build "${flags[@]}" || exit 1

out=target/reliability
mkdir -p "$out"
json="["
failed=0
for t in "${targets[@]}"; do
    # New inputs go to a working corpus under target/ (kept between runs), so the committed seeds (fuzz/corpus/)
    # stay small; cargo-fuzz leaves reproducers in fuzz/artifacts/<target>/.
    work=$out/fuzz-corpus/$t
    artifacts=fuzz/artifacts/$t
    mkdir -p "$work" "$artifacts" "fuzz/regressions/$t"
    before=$(find "$artifacts" -type f | wc -l)
    log=$out/fuzz-$t.log
    marker=$out/.fuzz-start-$t
    touch "$marker"
    start=$(date +%s)
    cargo fuzz run "${flags[@]}" "$t" "$work" "fuzz/corpus/$t" "fuzz/regressions/$t" -- \
        -max_total_time="$seconds" -timeout="$timeout" -max_len="$max_len" -rss_limit_mb="$rss_mb" \
        -print_final_stats=1 >"$log" 2>&1
    status=$?
    elapsed=$(($(date +%s) - start))
    runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -1)
    [[ -n $runs ]] || runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
    [[ -n $runs ]] || runs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -1)
    [[ -n $runs ]] || runs=0
    done_in=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    [[ -n $done_in ]] && elapsed=$done_in
    crashes=$(($(find "$artifacts" -type f | wc -l) - before))
    if ((status != 0 && crashes == 0)); then
        crashes=1 # stopped without leaving a reproducer: still a failure
    fi
    echo "fuzz $t: $runs runs in $elapsed s, $crashes crashes"
    if ((crashes > 0)); then
        failed=1
        grep -m1 -E "panicked|ERROR: libFuzzer|ERROR: AddressSanitizer|out-of-memory|timeout" "$log" >&2
        find "$artifacts" -type f -newer "$marker" -printf '  reproducer: %p\n' >&2
        echo "  log: $log" >&2
    fi
    [[ $json == "[" ]] || json+=","
    json+=$(printf '\n  {"target": "%s", "runs": %s, "seconds": %s, "crashes": %s}' "$t" "$runs" "$elapsed" "$crashes")
done
printf '%s\n]\n' "$json" >"$out/fuzz.json"
echo "wrote $out/fuzz.json" >&2
exit "$failed"
