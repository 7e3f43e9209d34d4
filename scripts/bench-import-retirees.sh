#!/usr/bin/env bash
# Imports N generated retirees (default 1,000,000) through the HTTP API with scripts/import.sh on each backend,
# and in the same run loads the same rows the raw way into a plain table with the retirees table's columns and
# indexes (PostgreSQL `psql \copy`, SQLite `sqlite3 .import`), then prints wall time, rows per second, the
# service's peak memory and the ratio of ours to the raw load. Targets: at most 1.5 x the raw load on each
# backend, peak memory under 300 MB; a missed target is reported, never a failure. Release build, fresh
# databases for every run; PostgreSQL at $BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres).
# Results also go to target/bench/import-retirees.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() {
    cat <<'EOF'
Usage: scripts/bench-import-retirees.sh [--rows N] [--backend sqlite|postgres|both] [--runs K]

  --rows N        rows to generate and import (default 1000000)
  --backend B     sqlite, postgres or both (default both)
  --runs K        runs per backend on fresh databases (default 1); with K > 1 times are medians, memory the
                  highest peak
Environment: BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres); BENCH_BIN (a built binary:
  no build); BENCH_PROFILE=1 (perf during the import: target/bench/profile-<backend>-import-retirees.txt)
EOF
}

rows=1000000 backend=both runs=1
while (($#)); do
    case "$1" in
        --rows) rows=${2:?}; shift 2 ;;
        --rows=*) rows=${1#*=}; shift ;;
        --backend) backend=${2:?}; shift 2 ;;
        --backend=*) backend=${1#*=}; shift ;;
        --runs) runs=${2:?}; shift 2 ;;
        --runs=*) runs=${1#*=}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
[[ $rows =~ ^[1-9][0-9]*$ && $runs =~ ^[1-9][0-9]*$ ]] || { usage >&2; exit 2; }
case "$backend" in sqlite) backends=(sqlite) ;; postgres) backends=(postgres) ;; both) backends=(sqlite postgres) ;;
    *) usage >&2; exit 2 ;; esac

pg_base="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
bin=${BENCH_BIN:-target/release/retiree-service}
source "$(dirname "${BASH_SOURCE[0]}")/bench-profile.sh"
secret=bench-secret-bench-secret-bench-secret-0123
# Data keys (issue 21.10), fixed so every run seals alike; a binary older than 21.10 ignores them.
export DATA_KEYS=bench1:YmVuY2gtZGF0YS1rZXktYmVuY2gtZGF0YS1rZXktMDE= DATA_KEY_ID=bench1
export DATA_HASH_KEY=YmVuY2gtaGFzaC1rZXktYmVuY2gtaGFzaC1rZXktMDE=
password=bench-password-2026
export RUST_LOG=warn PGOPTIONS='-c client_min_messages=warning'

if ! command -v sqlite3 >/dev/null && [[ " ${backends[*]} " == *" sqlite "* ]]; then
    apt-get install -y -qq sqlite3 >/dev/null
fi
[[ -n ${BENCH_BIN:-} ]] || cargo build --release --bin retiree-service

tmp="$(mktemp -d)"
pid="" pg_dbs=()
cleanup() {
    [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    for db in "${pg_dbs[@]}"; do dropdb --if-exists --maintenance-db="$pg_base" "$db" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.3f", e - s }'; }
pg_url() { echo "${pg_base%/*}/$1"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# --- the file, once ----------------------------------------------------------------------------------------------
file="$tmp/retirees.csv"
rawcsv="$tmp/raw-retirees.csv"
s=$(now)
python3 scripts/generate-retirees.py --count "$rows" --seed 2026 --out "$file"   # UTF-8 with BOM, CRLF
echo "generated $rows rows in $(since "$s") s: $(du -h "$file" | cut -f1) $file"
# The raw loads take the table's own columns: id, birth date from the ID when the file leaves it empty, pension in
# fen, booleans 1/0, the defaults the service writes. Made outside the timed part; no BOM, LF line ends.
python3 - "$file" "$rawcsv" <<'PY'
import csv, sys
src, dst = sys.argv[1:]
stamp = "2026-11-23 12:00:00"
with open(src, encoding="utf-8-sig", newline="") as f, open(dst, "w", encoding="utf-8", newline="") as out:
    r = csv.DictReader(f)
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["id", "id_number", "name", "sex", "birth_date", "retirement_date", "category", "management_level",
                "community_code", "phone", "address", "pension_status", "monthly_pension_fen", "party_member",
                "notes", "version", "created_at", "updated_at",
                # added by later migrations, in their order (ALTER TABLE retirees ADD COLUMN …)
                "suspension_reason", "suspended_from", "certified_until", "last_certified_on",
                "certification_barrier", "status_run_id", "on_roll", "remote_certification"])
    for i, row in enumerate(r, start=1):
        idn = row["id_number"]
        birth = row["birth_date"] or f"{idn[6:10]}-{idn[10:12]}-{idn[12:14]}"
        yuan, _, cents = row["monthly_pension"].partition(".")
        w.writerow([i, idn, row["name"], row["sex"], birth, row["retirement_date"], row["category"],
                    row["management_level"], row["community_code"], row["phone"], row["address"], "normal",
                    int(yuan) * 100 + int(cents or 0), 1 if row["party_member"] == "true" else 0, row["notes"], 1,
                    stamp, stamp, "", "", "2027-11-23", "", "", "", 1, 0])
PY
raw_columns=$(head -n 1 "$rawcsv")

# The retirees table and its indexes as the migrations create and alter them, renamed, without the foreign key.
# The raw CSV above lists the columns the ALTERs add; a migration adding another must be added there too.
raw_ddl() {
    local dir=persistence/migrations/$1
    local added
    added=$(cat "$dir"/*/up.sql | grep -c '^ALTER TABLE retirees ADD COLUMN' || true)
    if [[ $added != 8 ]]; then
        echo "warning: migrations add $added columns to retirees; the raw CSV lists 8" >&2
    fi
    cat "$dir"/*/up.sql \
        | sed -n '/^CREATE TABLE retirees (/,/^);/p; /^CREATE \(UNIQUE \)\?INDEX retirees_[a-z_]* ON retirees /p; /^ALTER TABLE retirees /p' \
        | sed 's/\bretirees\b/raw_retirees/g; s/ REFERENCES jurisdictions (code)//; s/INDEX retirees_/INDEX raw_retirees_/'
}

# --- one run -----------------------------------------------------------------------------------------------------
# Sets ours_s, read_s, raw_s, rss (KiB) and status for backend $1, run $2.
run_once() {
    local b=$1 i=$2 url raw_url db dbfile rawfile port s st sampler hwm peak count raw_count token
    if [[ $b == sqlite ]]; then
        dbfile="$tmp/bench-$i.db" rawfile="$tmp/raw-$i.db"
        url="sqlite://$dbfile"
    else
        db="retiree_bench_import_$i"
        dropdb --if-exists --maintenance-db="$pg_base" "$db"
        dropdb --if-exists --maintenance-db="$pg_base" "${db}_raw"
        createdb --maintenance-db="$pg_base" "$db"
        createdb --maintenance-db="$pg_base" "${db}_raw"
        pg_dbs+=("$db" "${db}_raw")
        url=$(pg_url "$db") raw_url=$(pg_url "${db}_raw")
    fi

    # Raw baseline: a plain table with the same columns and indexes, in a database of its own.
    if [[ $b == sqlite ]]; then
        { echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"; raw_ddl sqlite; } | sqlite3 "$rawfile" >/dev/null
        s=$(now)
        sqlite3 "$rawfile" "PRAGMA synchronous=NORMAL;" ".mode csv" ".import --skip 1 $rawcsv raw_retirees"
        raw_s=$(since "$s")
        raw_count=$(sqlite3 "$rawfile" "SELECT count(*) FROM raw_retirees")
    else
        raw_ddl postgres | psql -q -v ON_ERROR_STOP=1 "$raw_url" >/dev/null
        s=$(now)
        psql -q -v ON_ERROR_STOP=1 "$raw_url" \
            -c "\\copy raw_retirees($raw_columns) FROM '$rawcsv' WITH (FORMAT csv, HEADER true)"
        raw_s=$(since "$s")
        raw_count=$(psql -tAq "$raw_url" -c "SELECT count(*) FROM raw_retirees")
    fi
    [[ $raw_count == "$rows" ]] || { echo "raw load: $raw_count rows, expected $rows" >&2; exit 1; }

    # The service: migrate, the Xiamen tree, an admin, then an importer created through the API.
    export DATABASE_URL=$url JWT_SECRET=$secret TOKEN_TTL_SECONDS=86400 IMPORT_BODY_LIMIT_BYTES=$((16 << 30))
    "$bin" migrate >/dev/null
    "$bin" import-divisions resources/divisions/xiamen-3502.csv >/dev/null
    "$bin" create-admin --username bench-admin --password "$password" --jurisdiction 3502 >/dev/null
    port=$(free_port)
    BIND_ADDR=127.0.0.1:$port "$bin" serve >"$tmp/serve-$b-$i.log" 2>&1 &
    pid=$!
    for _ in $(seq 150); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$tmp/serve-$b-$i.log" >&2; exit 1; }
    export BASE_URL="http://127.0.0.1:$port"
    token=$(login bench-admin)
    curl -fsS -o /dev/null -X POST "$BASE_URL/api/v1/users" -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' -d "{\"username\":\"bench-importer\",\"password\":\"$password\",
        \"display_name\":\"基准导入员\",\"role\":\"importer\",\"jurisdiction\":\"3502\"}"
    token=$(login bench-importer)

    # Resident memory: VmRSS every 0.2 s while the import runs, VmHWM (the kernel's peak) at the end.
    (peak=0; while [[ -r /proc/$pid/status ]]; do
        r=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        ((${r:-0} > peak)) && { peak=$r; echo "$peak" >"$tmp/rss-sampled"; }
        sleep 0.2
    done) &
    sampler=$!
    set +e
    profile_start "$b-import-retirees"
    TOKEN=$token scripts/import.sh "$file" --interval 0.2 | tee "$tmp/import.log"
    st=${PIPESTATUS[0]}
    profile_stop "$pid"
    set -e
    status=failed && ((st == 0)) && status=succeeded
    ours_s=$(sed -n 's/^import [0-9]* retirees: [a-z]* in \([0-9.]*\) s$/\1/p' "$tmp/import.log")
    # When the job had read (and staged) every row: the rest is the check-and-merge transaction.
    read_s=$(awk '$2 == "running" && $NF == "100%" { sub(/s$/, "", $1); print $1; exit }' "$tmp/import.log")
    hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
    kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
    peak=$(cat "$tmp/rss-sampled" 2>/dev/null || echo 0)
    rss=$((hwm > peak ? hwm : peak))
    kill "$pid"; wait "$pid" 2>/dev/null || true
    pid=""

    if [[ $b == sqlite ]]; then
        count=$(sqlite3 "$dbfile" "SELECT count(*) FROM retirees")
        rm -f "$dbfile"* "$rawfile"*
    else
        count=$(psql -tAq "$url" -c "SELECT count(*) FROM retirees")
        dropdb --maintenance-db="$pg_base" "$db"; dropdb --maintenance-db="$pg_base" "${db}_raw"
    fi
    if [[ $status == succeeded && $count != "$rows" ]]; then
        echo "the import says it succeeded but the database holds $count retirees, expected $rows" >&2
        status=failed
    fi
    [[ -n $ours_s ]] || ours_s=0
    [[ -n $read_s ]] || read_s=null
}

login() {
    curl -fsS -X POST "$BASE_URL/api/v1/auth/token" -H 'Content-Type: application/json' \
        -d "{\"grant_type\":\"password\",\"username\":\"$1\",\"password\":\"$password\"}" \
        | python3 -c 'import sys, json; print(json.load(sys.stdin)["access_token"])'
}

declare -A r_ours r_raw r_rss r_status r_runs
for b in "${backends[@]}"; do
    : >"$tmp/ours" ; : >"$tmp/raw" ; : >"$tmp/rss"
    r_status[$b]=succeeded r_runs[$b]=""
    for i in $(seq "$runs"); do
        echo "== $b run $i of $runs"
        run_once "$b" "$i"
        echo "$ours_s" >>"$tmp/ours"; echo "$raw_s" >>"$tmp/raw"; echo "$rss" >>"$tmp/rss"
        [[ $status == succeeded ]] || r_status[$b]=$status
        r_runs[$b]+="{\"ours_s\":$ours_s,\"rows_read_after_s\":$read_s,\"raw_s\":$raw_s,\"peak_rss_kib\":$rss,\"status\":\"$status\"},"
        echo "== $b run $i: ours $ours_s s ($status; every row read after ${read_s/null/?} s), raw $raw_s s, peak RSS $((rss / 1024)) MiB"
    done
    r_ours[$b]=$(median <"$tmp/ours")
    r_raw[$b]=$(median <"$tmp/raw")
    r_rss[$b]=$(sort -n "$tmp/rss" | tail -n 1)
done

# --- report ------------------------------------------------------------------------------------------------------
mem_kib=$(awk '/^MemTotal/ {print $2}' /proc/meminfo)
what="median of $runs runs" && ((runs == 1)) && what="1 run"
printf '\nretiree import, %s rows, %s (peak RSS: highest of the runs); %s cores, %s GiB memory\n' \
    "$rows" "$what" "$(nproc)" "$((mem_kib / 1048576))"
printf '%-9s %9s %9s %9s %8s %9s %7s %13s %7s  %s\n' backend rows "ours (s)" "rows/s" "raw (s)" "ours/raw" target \
    "peak RSS MiB" target status
json_rows=""
for b in "${backends[@]}"; do
    o=${r_ours[$b]} w=${r_raw[$b]} m=${r_rss[$b]}
    rate=$(awk -v n="$rows" -v t="$o" 'BEGIN { printf "%.0f", (t > 0 ? n / t : 0) }')
    ratio=$(awk -v a="$o" -v b="$w" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    mib=$(awk -v k="$m" 'BEGIN { printf "%.1f", k / 1024 }')
    printf '%-9s %9s %9.1f %9s %8.1f %9s %7s %13s %7s  %s\n' "$b" "$rows" "$o" "$rate" "$w" "$ratio" 1.5 "$mib" 300 \
        "${r_status[$b]}"
    json_rows+="{\"backend\":\"$b\",\"rows\":$rows,\"ours_s\":$o,\"rows_per_s\":$rate,\"raw_s\":$w,"
    json_rows+="\"ratio\":$ratio,\"target_ratio\":1.5,\"peak_rss_mib\":$mib,\"target_rss_mib\":300,"
    json_rows+="\"status\":\"${r_status[$b]}\",\"runs\":[${r_runs[$b]%,}]},"
done
mkdir -p target/bench
python3 -c 'import json, sys; json.dump(json.loads(sys.argv[1]), sys.stdout, indent=2, ensure_ascii=False); print()' \
    "{\"date\":\"$(date -u +%FT%TZ)\",\"command\":\"scripts/bench-import-retirees.sh --rows $rows --backend $backend --runs $runs\",
      \"nproc\":$(nproc),\"mem_total_kib\":$mem_kib,\"rows\":$rows,\"runs\":$runs,\"results\":[${json_rows%,}]}" \
    >target/bench/import-retirees.json
echo "written to target/bench/import-retirees.json"
for b in "${backends[@]}"; do [[ ${r_status[$b]} == succeeded ]] || exit 1; done
