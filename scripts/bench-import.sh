#!/usr/bin/env bash
# Measures the whole-country division import (665,276 nodes) on SQLite and PostgreSQL, a re-import of the same
# file (every node unchanged), and the service's resident memory after start. Release build; figures are
# medians of RUNS runs (default 3) on fresh databases, each beside a raw baseline in the same run: the same nodes
# loaded into a plain 4-column table (`psql \copy` / `sqlite3 .import`). PostgreSQL at $BENCH_POSTGRES_URL
# (default postgres://postgres@127.0.0.1:5432/postgres). BENCH_BIN: a built binary (no build).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs="${RUNS:-3}"
pg_base="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
file=resources/divisions/china-2023.csv.gz
bin=${BENCH_BIN:-target/release/retiree-service}
export JWT_SECRET=bench-secret-bench-secret-bench-secret-0123 RUST_LOG=warn PGOPTIONS='-c client_min_messages=warning'
# The service refuses PostgreSQL without data keys (encryption at rest): the bench keys of the other scripts.
export DATA_KEYS=bench1:YmVuY2gtZGF0YS1rZXktYmVuY2gtZGF0YS1rZXktMDE= DATA_KEY_ID=bench1
export DATA_HASH_KEY=YmVuY2gtaGFzaC1rZXktYmVuY2gtaGFzaC1rZXktMDE=

[[ -n ${BENCH_BIN:-} ]] || cargo build --release --bin retiree-service
command -v sqlite3 >/dev/null || apt-get install -y -qq sqlite3 >/dev/null
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
zcat "$file" >"$tmp/nodes.csv"

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

# The raw baseline: the same rows into a plain table of four text columns, no checks, no indexes (a lower bound).
raw() { # backend run -> seconds
    local s e
    s=$(date +%s.%N)
    if [[ $1 == sqlite ]]; then
        sqlite3 -batch "$tmp/raw-$2.db" "CREATE TABLE raw_nodes (code TEXT, name TEXT, level TEXT, parent_code TEXT)" \
            ".import --csv --skip 1 $tmp/nodes.csv raw_nodes"
    else
        psql -qX -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "CREATE TABLE raw_nodes (code TEXT, name TEXT, level TEXT, parent_code TEXT)" \
            -c "\\copy raw_nodes FROM '$tmp/nodes.csv' WITH (FORMAT csv, HEADER true)"
    fi
    e=$(date +%s.%N)
    printf '%.3f\n' "$(echo "$e - $s" | bc -l)"
}

declare -A first second baseline
for backend in sqlite postgres; do
    : >"$tmp/first" ; : >"$tmp/second" ; : >"$tmp/raw"
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
        raw "$backend" "$i" >>"$tmp/raw"
        [[ $backend == postgres ]] && pg_sql "DROP DATABASE retiree_bench_$i"
    done
    first[$backend]=$(median <"$tmp/first")
    second[$backend]=$(median <"$tmp/second")
    baseline[$backend]=$(median <"$tmp/raw")
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
printf '%-10s %12s %12s %10s %14s %8s\n' backend "first (s)" "again (s)" "nodes/s" "raw load (s)" "ratio"
for backend in sqlite postgres; do
    printf '%-10s %12.1f %12.1f %10.0f %14.2f %8.1f\n' "$backend" "${first[$backend]}" "${second[$backend]}" \
        "$(echo "665276 / ${first[$backend]}" | bc -l)" "${baseline[$backend]}" \
        "$(echo "${first[$backend]} / ${baseline[$backend]}" | bc -l)"
done
printf 'ratio postgres/sqlite (first import): %.2f\n' "$(echo "${first[postgres]} / ${first[sqlite]}" | bc -l)"
printf '\nresident memory after start: sqlite with demo data %s KiB, postgres %s KiB\n' "$rss_sqlite" "$rss_pg"

mkdir -p target/bench
python3 -c 'import json, sys; json.dump(json.loads(sys.argv[1]), sys.stdout, indent=2); print()' \
    "{\"nodes\":665276,\"runs\":$runs,\"results\":[
      {\"backend\":\"sqlite\",\"raw_s\":${baseline[sqlite]},\"first_s\":${first[sqlite]},\"again_s\":${second[sqlite]},\"rss_after_start_kib\":$rss_sqlite},
      {\"backend\":\"postgres\",\"raw_s\":${baseline[postgres]},\"first_s\":${first[postgres]},\"again_s\":${second[postgres]},\"rss_after_start_kib\":$rss_pg}]}" \
    >target/bench/divisions.json
echo "written to target/bench/divisions.json"
