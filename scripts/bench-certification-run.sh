#!/usr/bin/env bash
# Times a certification run (POST /api/v1/certification-runs, issue 5) over N retirees (default 1,000,000) on each
# backend against the plain-SQL baseline, in the same script run: one UPDATE that suspends the same rows and does
# nothing else. Target: the run takes at most 2 x the baseline; a missed target is reported, never a failure.
#
# Per backend, on a fresh database (SQLite: a temporary file; PostgreSQL: createdb on $BENCH_POSTGRES_URL, dropped
# afterwards): migrate, the Xiamen division tree, N generated retirees (scripts/generate-retirees.py, seed 2026)
# loaded straight into `retirees` (not timed), a fixed share (--overdue, default 30 %: ids whose last digit is
# below 3) made overdue by SQL; then
#   1. ours: the release service, a city-centre account, and the wall time of one real run on 3502 as of today
#      (curl, from sending the request to the 201); the answer must report every overdue person suspended;
#   2. restore: those rows back to `normal`, their status changes and the run deleted (not timed);
#   3. baseline: `UPDATE retirees SET pension_status = 'suspended' WHERE <the run's selection>` in the database's
#      own client (sqlite3 / psql), timed the same way; it must touch the same number of rows.
# Before each timed step: PostgreSQL `VACUUM ANALYZE` + `CHECKPOINT`, SQLite `PRAGMA wal_checkpoint(TRUNCATE)`, so
# both start from the same state (one earlier UPDATE of the same rows, vacuumed).
# Results: a table, and target/bench/certification-run.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() {
    cat <<'EOF'
Usage: scripts/bench-certification-run.sh [--rows N] [--overdue PCT] [--backend sqlite|postgres|both]

  --rows N          retirees to load (default 1000000)
  --overdue PCT     share made overdue, 10-90 in steps of 10 (default 30)
  --backend B       sqlite, postgres or both (default both)
Environment: BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres); BENCH_BIN (a built binary:
  no build); BENCH_PROFILE=1 (perf during the run: target/bench/profile-<backend>-certification-run.txt)
EOF
}

rows=1000000 overdue=30 backend=both
while (($#)); do
    case "$1" in
        --rows) rows=${2:?}; shift 2 ;;
        --rows=*) rows=${1#*=}; shift ;;
        --overdue) overdue=${2:?}; shift 2 ;;
        --overdue=*) overdue=${1#*=}; shift ;;
        --backend) backend=${2:?}; shift 2 ;;
        --backend=*) backend=${1#*=}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
[[ $rows =~ ^[1-9][0-9]*$ && $overdue =~ ^[1-9]0$ ]] || { usage >&2; exit 2; }
case "$backend" in sqlite) backends=(sqlite) ;; postgres) backends=(postgres) ;; both) backends=(sqlite postgres) ;;
    *) usage >&2; exit 2 ;; esac

pg_base="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
bin=${BENCH_BIN:-target/release/retiree-service}
source "$(dirname "${BASH_SOURCE[0]}")/bench-profile.sh"
secret=bench-secret-bench-secret-bench-secret-0123
password=bench-password-2026
export RUST_LOG=warn PGOPTIONS='-c client_min_messages=warning'
# The service refuses PostgreSQL without data keys (encryption at rest, issue 21.10): the same bench keys as
# scripts/bench-import-retirees.sh.
export DATA_KEYS=bench1:YmVuY2gtZGF0YS1rZXktYmVuY2gtZGF0YS1rZXktMDE= DATA_KEY_ID=bench1
export DATA_HASH_KEY=YmVuY2gtaGFzaC1rZXktYmVuY2gtaGFzaC1rZXktMDE=

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

now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.3f", e - s }'; }
pg_url() { echo "${pg_base%/*}/$1"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
json_field() { python3 -c 'import sys, json; v = json.load(sys.stdin)
for k in sys.argv[1].split("."): v = v[k]
print(v)' "$1"; }

# Today in China (the service refuses a future as-of date), the last valid day of the overdue and of the others.
as_of=$(TZ=Asia/Shanghai date +%F)
lapsed=$(TZ=Asia/Shanghai date -d "$as_of - 30 days" +%F)
valid=$(TZ=Asia/Shanghai date -d "$as_of + 200 days" +%F)
share=$((overdue / 10))

# --- the rows, once: the generated roster in the table's own columns (NULL for empty optional values) -----------
roster="$tmp/retirees.csv" rawcsv="$tmp/raw-retirees.csv"
s=$(now)
python3 scripts/generate-retirees.py --count "$rows" --seed 2026 --out "$roster"
python3 - "$roster" "$rawcsv" "$valid" <<'PY'
import csv, sys
src, dst, valid = sys.argv[1:]
stamp = "2026-11-23 12:00:00"
with open(src, encoding="utf-8-sig", newline="") as f, open(dst, "w", encoding="utf-8", newline="") as out:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["id", "id_number", "name", "sex", "birth_date", "retirement_date", "category", "management_level",
                "community_code", "phone", "address", "pension_status", "monthly_pension_fen", "party_member",
                "notes", "version", "created_at", "updated_at", "certified_until"])
    for i, row in enumerate(csv.DictReader(f), start=1):
        idn = row["id_number"]
        birth = row["birth_date"] or f"{idn[6:10]}-{idn[10:12]}-{idn[12:14]}"
        yuan, _, cents = row["monthly_pension"].partition(".")
        w.writerow([i, idn, row["name"], row["sex"], birth, row["retirement_date"], row["category"],
                    row["management_level"], row["community_code"], row["phone"] or None, row["address"] or None,
                    "normal", int(yuan) * 100 + int(cents or 0), 1 if row["party_member"] == "true" else 0,
                    row["notes"] or None, 1, stamp, stamp, valid])
PY
columns=$(head -n 1 "$rawcsv")
echo "prepared $rows rows in $(since "$s") s"

# The run's selection, for the overdue share, the baseline and the checks (the run on 3502 covers the whole tree).
selection="pension_status = 'normal' AND certified_until < '$as_of' AND community_code IN
    (SELECT code FROM jurisdictions WHERE path >= '/3502/' AND path < '/35020')"

# --- one backend -------------------------------------------------------------------------------------------------
# Sets ours_s, base_s, expected, status for backend $1.
run_backend() {
    local b=$1 url db dbfile port token res got touched s
    if [[ $b == sqlite ]]; then
        dbfile="$tmp/bench.db" url="sqlite://$tmp/bench.db"
        q() { sqlite3 -batch "$dbfile" "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;" "$@" >/dev/null; }
        val() { sqlite3 -batch "$dbfile" "$1"; }
        settle() { sqlite3 -batch "$dbfile" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null; }
    else
        db=retiree_bench_cert_run url=$(pg_url "$db")
        dropdb --if-exists --maintenance-db="$pg_base" "$db"
        createdb --maintenance-db="$pg_base" "$db"
        pg_dbs+=("$db")
        q() { psql -q -v ON_ERROR_STOP=1 "$url" "${@/#/-c}" >/dev/null; }
        val() { psql -tAq -v ON_ERROR_STOP=1 "$url" -c "$1"; }
        settle() { psql -q "$url" -c "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null; }
    fi

    export DATABASE_URL=$url JWT_SECRET=$secret TOKEN_TTL_SECONDS=86400
    "$bin" migrate >/dev/null
    "$bin" import-divisions resources/divisions/xiamen-3502.csv >/dev/null
    "$bin" create-admin --username bench-admin --password "$password" --jurisdiction 3502 >/dev/null

    s=$(now)
    if [[ $b == sqlite ]]; then
        sqlite3 -batch "$dbfile" "PRAGMA synchronous = NORMAL;" ".import --csv $rawcsv raw_stage" \
            "INSERT INTO retirees ($columns) SELECT CAST(id AS INTEGER), id_number, name, sex, birth_date,
                retirement_date, category, management_level, community_code, NULLIF(phone, ''), NULLIF(address, ''),
                pension_status, CAST(monthly_pension_fen AS INTEGER), CAST(party_member AS INTEGER),
                NULLIF(notes, ''), 1, created_at, updated_at, certified_until FROM raw_stage;" \
            "DROP TABLE raw_stage;" >/dev/null
    else
        psql -q -v ON_ERROR_STOP=1 "$url" -c "\\copy retirees($columns) FROM '$rawcsv' WITH (FORMAT csv, HEADER true)"
    fi
    [[ $(val "SELECT count(*) FROM retirees") == "$rows" ]] || { echo "load: wrong row count" >&2; exit 1; }
    q "UPDATE retirees SET certified_until = '$lapsed' WHERE id % 10 < $share"
    expected=$(val "SELECT count(*) FROM retirees WHERE $selection")
    echo "$b: loaded $rows retirees, $expected overdue on $as_of, in $(since "$s") s"

    # 1. ours: a real run through the API.
    port=$(free_port)
    BIND_ADDR=127.0.0.1:$port "$bin" serve >"$tmp/serve-$b.log" 2>&1 &
    pid=$!
    for _ in $(seq 150); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$tmp/serve-$b.log" >&2; exit 1; }
    base="http://127.0.0.1:$port/api/v1"
    token=$(login "$base" bench-admin)
    curl -fsS -o /dev/null -X POST "$base/users" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        -d "{\"username\":\"bench-city\",\"password\":\"$password\",\"display_name\":\"基准市中心\",
             \"role\":\"city_centre\",\"jurisdiction\":\"3502\"}"
    token=$(login "$base" bench-city)
    settle
    profile_start "$b-certification-run"
    s=$(now)
    res=$(curl -sS -w '\n%{http_code}' -X POST "$base/certification-runs" -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' -d "{\"jurisdiction\":\"3502\",\"as_of\":\"$as_of\"}")
    ours_s=$(since "$s")
    profile_stop "$pid"
    r_peak[$b]=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    pid=""
    status=succeeded
    if [[ ${res##*$'\n'} != 201 ]]; then
        echo "$b: the run answered ${res##*$'\n'}: ${res%$'\n'*}" >&2
        status=failed
        got=0
    else
        got=$(json_field counts.suspended <<<"${res%$'\n'*}")
        run_id=$(json_field id <<<"${res%$'\n'*}")
        [[ $got == "$expected" ]] || { echo "$b: the run suspended $got, expected $expected" >&2; status=failed; }
        [[ $(val "SELECT count(*) FROM pension_status_changes WHERE source = 'run'") == "$expected" ]] \
            || { echo "$b: status changes do not match" >&2; status=failed; }
    fi
    echo "$b: run ${ours_s} s, suspended $got"

    # 2. restore the same rows.
    q "UPDATE retirees SET pension_status = 'normal', suspension_reason = NULL, suspended_from = NULL,
         status_run_id = NULL, version = version - 1 WHERE status_run_id IS NOT NULL" \
      "DELETE FROM pension_status_changes" "DELETE FROM certification_runs"
    [[ $(val "SELECT count(*) FROM retirees WHERE $selection") == "$expected" ]] \
        || { echo "$b: restore left a different selection" >&2; exit 1; }

    # 3. baseline: one plain UPDATE of the same rows.
    settle
    s=$(now)
    if [[ $b == sqlite ]]; then
        touched=$(sqlite3 -batch "$dbfile" "PRAGMA synchronous = NORMAL;" \
            "UPDATE retirees SET pension_status = 'suspended' WHERE $selection;" "SELECT changes();")
    else
        touched=$(psql -tA -v ON_ERROR_STOP=1 "$url" -c "UPDATE retirees SET pension_status = 'suspended' WHERE $selection")
        touched=${touched##* }   # the command tag: UPDATE n
    fi
    base_s=$(since "$s")
    echo "$b: baseline ${base_s} s, $touched rows"
    [[ $touched == "$expected" ]] || { echo "$b: baseline touched $touched rows" >&2; status=failed; }
    if [[ $b == sqlite ]]; then rm -f "$dbfile"*; else dropdb --maintenance-db="$pg_base" "$db"; fi
}

login() {
    curl -fsS -X POST "$1/auth/token" -H 'Content-Type: application/json' \
        -d "{\"grant_type\":\"password\",\"username\":\"$2\",\"password\":\"$password\"}" | json_field access_token
}

declare -A r_ours r_base r_expected r_status r_peak
for b in "${backends[@]}"; do
    echo "== $b"
    run_backend "$b"
    r_ours[$b]=$ours_s r_base[$b]=$base_s r_expected[$b]=$expected r_status[$b]=$status
done

# --- report ------------------------------------------------------------------------------------------------------
mem_kib=$(awk '/^MemTotal/ {print $2}' /proc/meminfo)
printf '\ncertification run, %s retirees, %s %% overdue, as of %s; %s cores, %s GiB memory\n' \
    "$rows" "$overdue" "$as_of" "$(nproc)" "$((mem_kib / 1048576))"
printf '%-9s %9s %9s %9s %13s %9s %7s  %s\n' backend rows overdue "run (s)" "baseline (s)" run/base target status
json_rows=""
for b in "${backends[@]}"; do
    o=${r_ours[$b]} w=${r_base[$b]}
    ratio=$(awk -v a="$o" -v b="$w" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    printf '%-9s %9s %9s %9.2f %13.2f %9.2f %7s  %s\n' "$b" "$rows" "${r_expected[$b]}" "$o" "$w" "$ratio" 2.0 \
        "${r_status[$b]}"
    json_rows+="{\"backend\":\"$b\",\"rows\":$rows,\"overdue\":${r_expected[$b]},\"run_s\":$o,\"baseline_s\":$w,"
    json_rows+="\"ratio\":$ratio,\"target_ratio\":2.0,\"peak_mib\":${r_peak[$b]:-0},\"status\":\"${r_status[$b]}\"},"
done
mkdir -p target/bench
python3 -c 'import json, sys; json.dump(json.loads(sys.argv[1]), sys.stdout, indent=2, ensure_ascii=False); print()' \
    "{\"date\":\"$(date -u +%FT%TZ)\",\"command\":\"scripts/bench-certification-run.sh --rows $rows --overdue $overdue --backend $backend\",
      \"nproc\":$(nproc),\"mem_total_kib\":$mem_kib,\"as_of\":\"$as_of\",\"results\":[${json_rows%,}]}" \
    >target/bench/certification-run.json
echo "written to target/bench/certification-run.json"
for b in "${backends[@]}"; do [[ ${r_status[$b]} == succeeded ]] || exit 1; done
