#!/usr/bin/env bash
# Measures the whole-country division import (665,276 nodes) on SQLite and PostgreSQL, a re-import of the same
# file (every node unchanged), and the service's resident memory after start. Release build; figures are
# medians of RUNS runs (default 3) on fresh databases. PostgreSQL at $BENCH_POSTGRES_URL
# (default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs="${RUNS:-3}"
pg_base="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
file=resources/divisions/china-2023.csv.gz
bin=target/release/retiree-service
export JWT_SECRET=bench-secret-bench-secret-bench-secret-0123 RUST_LOG=warn PGOPTIONS='-c client_min_messages=warning'

cargo build --release --bin retiree-service
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# Runs an import, checks what it reports against $expect, prints the seconds it took.
seconds() {
    local s e out
    s=$(date +%s.%N)
    out=$("$@") || { echo "failed: $*" >&2; exit 1; }
    e=$(date +%s.%N)
    grep -q "$expect" <<<"$out" || { echo "unexpected result: $out" >&2; exit 1; }
    echo "$e - $s" | bc -l
}
pg_url() { echo "${pg_base%/*}/$1"; }
pg_sql() { psql -q "$(pg_url postgres)" -c "$1"; }

declare -A first second
for backend in sqlite postgres; do
    : >"$tmp/first" ; : >"$tmp/second"
    for i in $(seq "$runs"); do
        if [[ $backend == sqlite ]]; then
            export DATABASE_URL="sqlite://$tmp/bench-$i.db"
        else
            pg_sql "DROP DATABASE IF EXISTS retiree_bench_$i" ; pg_sql "CREATE DATABASE retiree_bench_$i"
            export DATABASE_URL="$(pg_url retiree_bench_$i)"
        fi
        "$bin" migrate >/dev/null
        expect="rows 665276 created 665276 updated 0 unchanged 0 rejected 0" seconds "$bin" import-divisions "$file" >>"$tmp/first"
        expect="rows 665276 created 0 updated 0 unchanged 665276 rejected 0" seconds "$bin" import-divisions "$file" >>"$tmp/second"
        [[ $backend == postgres ]] && pg_sql "DROP DATABASE retiree_bench_$i"
    done
    first[$backend]=$(median <"$tmp/first")
    second[$backend]=$(median <"$tmp/second")
done

rss_after_start() {
    local port=18189 pid kb
    BIND_ADDR=127.0.0.1:$port "$bin" serve "$@" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
    sleep 1
    kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    echo "$kb"
}
export DATABASE_URL="sqlite://$tmp/mem.db"
rss_sqlite=$(rss_after_start --demo)
pg_sql "DROP DATABASE IF EXISTS retiree_bench_mem"; pg_sql "CREATE DATABASE retiree_bench_mem"
export DATABASE_URL="$(pg_url retiree_bench_mem)"
rss_pg=$(rss_after_start)
pg_sql "DROP DATABASE retiree_bench_mem"

printf '\nwhole-country import (665,276 nodes), median of %s runs\n' "$runs"
printf '%-10s %12s %12s %10s\n' backend "first (s)" "again (s)" "nodes/s"
for backend in sqlite postgres; do
    printf '%-10s %12.1f %12.1f %10.0f\n' "$backend" "${first[$backend]}" "${second[$backend]}" \
        "$(echo "665276 / ${first[$backend]}" | bc -l)"
done
printf 'ratio postgres/sqlite (first import): %.2f\n' "$(echo "${first[postgres]} / ${first[sqlite]}" | bc -l)"
printf '\nresident memory after start: sqlite with demo data %s KiB, postgres %s KiB\n' "$rss_sqlite" "$rss_pg"

mkdir -p target/bench
python3 -c 'import json, sys; json.dump(json.loads(sys.argv[1]), sys.stdout, indent=2); print()' \
    "{\"nodes\":665276,\"runs\":$runs,\"results\":[
      {\"backend\":\"sqlite\",\"first_s\":${first[sqlite]},\"again_s\":${second[sqlite]},\"rss_after_start_kib\":$rss_sqlite},
      {\"backend\":\"postgres\",\"first_s\":${first[postgres]},\"again_s\":${second[postgres]},\"rss_after_start_kib\":$rss_pg}]}" \
    >target/bench/divisions.json
echo "written to target/bench/divisions.json"
