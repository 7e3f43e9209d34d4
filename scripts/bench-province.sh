#!/usr/bin/env bash
# A province on PostgreSQL (issue 28; docs/scale.md): N generated retirees (default 10,000,000) across the real
# division tree of one province (default 35 福建省: 9 cities, 84 districts, 1,170 streets, 17,498 communities, from
# resources/divisions/china-2023.csv.gz), each figure beside its raw PostgreSQL baseline measured in the same run:
#   divisions   import-divisions of the province's tree           | baseline: psql \copy of the same file
#   import      the roster import through the API (scripts/import.sh) | baseline: psql \copy of the same CSV into a
#               plain table of its columns (no checks, no indexes: a lower bound)
#   read one    GET /retirees/{random id}, one connection, p50/p99  | baseline: SELECT by primary key (pgbench)
#   community   GET /retirees?jurisdiction=<largest community>&pension_status=normal&limit=50
#                                                                   | baseline: the keyset SELECT (pgbench)
#   district    GET /retirees?jurisdiction=<largest district>&pension_status=normal&category=enterprise_employee
#                                                                   | baseline: the same filter, keyset (pgbench)
#   report      GET /reports/monthly for the largest city and for the province (median of --report-runs)
#                                                                   | baseline: one GROUP BY of the subtree (psql)
#   certification  a certification run of the largest city, 30 % of its people overdue (ids ending 0-2)
#               POST /certification-runs                            | baseline: one plain UPDATE of the same rows
#   sizes       the largest tables and indexes
# Nothing fails on a figure; the table is printed and written to target/bench/province.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() {
    cat <<'EOF'
Usage: scripts/bench-province.sh [--rows N] [--province CODE] [--samples K] [--report-runs R]

  --rows N          retirees (default 10000000)
  --province CODE   2-digit province code in the whole-country file (default 35)
  --samples K       requests per latency scenario (default 1000)
  --report-runs R   runs of each monthly report (default 3)
Environment: BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres); BENCH_BIN (a built binary:
  no build; default target/release/retiree-service); BENCH_KEEP_DB=1 keeps the database for further runs.
EOF
}

rows=10000000 province=35 samples=1000 report_runs=3
while (($#)); do
    case "$1" in
        --rows) rows=${2:?}; shift 2 ;;
        --province) province=${2:?}; shift 2 ;;
        --samples) samples=${2:?}; shift 2 ;;
        --report-runs) report_runs=${2:?}; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
[[ $rows =~ ^[1-9][0-9]*$ && $province =~ ^[1-9][0-9]$ && $samples =~ ^[1-9][0-9]*$ && $report_runs =~ ^[1-9][0-9]*$ ]] \
    || { usage >&2; exit 2; }

pg_base="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
bin=${BENCH_BIN:-target/release/retiree-service}
[[ -n ${BENCH_BIN:-} ]] || cargo build --release --bin retiree-service
secret=bench-secret-bench-secret-bench-secret-0123
password=bench-password-2026
export RUST_LOG=warn PGOPTIONS='-c client_min_messages=warning'
export DATA_KEYS=bench1:YmVuY2gtZGF0YS1rZXktYmVuY2gtZGF0YS1rZXktMDE= DATA_KEY_ID=bench1
export DATA_HASH_KEY=YmVuY2gtaGFzaC1rZXktYmVuY2gtaGFzaC1rZXktMDE=
db="bench_province_$$"
url="${pg_base%/*}/$db"
tmp="$(mktemp -d)"
pid=""
cleanup() {
    [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    [[ -n ${BENCH_KEEP_DB:-} ]] || dropdb --if-exists --maintenance-db="$pg_base" "$db" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.3f", e - s }'; }
sql() { psql -qAtX -v ON_ERROR_STOP=1 "$url" -c "$1"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
login() {
    curl -fsS -X POST "$BASE_URL/api/v1/auth/token" -H 'Content-Type: application/json' \
        -d "{\"grant_type\":\"password\",\"username\":\"$1\",\"password\":\"$password\"}" \
        | python3 -c 'import sys, json; print(json.load(sys.stdin)["access_token"])'
}
# pgbench_p SCRIPT: one client, --samples transactions; "p50 p99" in ms from the per-transaction log.
pgbench_p() {
    (cd "$tmp" && rm -f pgbench_log.* && pgbench -n -c 1 -t "$samples" -f "$1" -l "$url" >"$tmp/pgbench.out" 2>&1) \
        || { cat "$tmp/pgbench.out" >&2; return 1; }
    cat "$tmp"/pgbench_log.* | awk '{print $3}' | sort -n | awk '{ v[NR] = $1 } END {
        printf "%.3f %.3f\n", v[int(NR * 0.5) + 1] / 1000, v[int(NR * 0.99) + 1] / 1000 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "== province $province, $rows retirees; database $db"
createdb --maintenance-db="$pg_base" "$db"
export DATABASE_URL=$url JWT_SECRET=$secret TOKEN_TTL_SECONDS=86400 IMPORT_BODY_LIMIT_BYTES=$((16 << 30))
"$bin" migrate >/dev/null

# The province's tree: the whole-country file's rows of this province (the province row itself included).
zcat resources/divisions/china-2023.csv.gz | awk -F, -v p="$province" 'NR == 1 || substr($1, 1, 2) == p' >"$tmp/tree.csv"
nodes=$(($(wc -l <"$tmp/tree.csv") - 1))
t=$(now)
"$bin" import-divisions "$tmp/tree.csv" >/dev/null
divisions_s=$(since "$t")
sql "CREATE TABLE raw_tree (code TEXT, name TEXT, level TEXT, parent_code TEXT)"
t=$(now)
psql -qX -v ON_ERROR_STOP=1 "$url" -c "\\copy raw_tree FROM '$tmp/tree.csv' WITH (FORMAT csv, HEADER true)"
divisions_raw_s=$(since "$t")
echo "   divisions: $nodes nodes in $divisions_s s (\\copy $divisions_raw_s s)"

echo "== generating $rows retirees"
python3 scripts/generate-retirees.py --count "$rows" --seed 2026 --divisions resources/divisions/china-2023.csv.gz \
    --community "$province" --encoding utf-8 --out "$tmp/retirees.csv"

"$bin" create-admin --username bench-admin --password "$password" --jurisdiction "$province" >/dev/null
port=$(free_port)
BIND_ADDR=127.0.0.1:$port DB_POOL_SIZE=16 "$bin" serve >"$tmp/serve.log" 2>&1 &
pid=$!
export BASE_URL="http://127.0.0.1:$port"
for _ in $(seq 150); do curl -fsS "$BASE_URL/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "$BASE_URL/readyz" >/dev/null || { cat "$tmp/serve.log" >&2; exit 1; }
admin=$(login bench-admin)
for u in "bench-importer importer" "bench-centre city_centre"; do
    set -- $u
    curl -fsS -o /dev/null -X POST "$BASE_URL/api/v1/users" -H "Authorization: Bearer $admin" \
        -H 'Content-Type: application/json' -d "{\"username\":\"$1\",\"password\":\"$password\",
        \"display_name\":\"$1\",\"role\":\"$2\",\"jurisdiction\":\"$province\"}"
done

echo "== import"
t=$(now)
TOKEN=$(login bench-importer) scripts/import.sh "$tmp/retirees.csv" --interval 1 | tail -n 2
import_s=$(since "$t")
count=$(sql "SELECT COUNT(*) FROM retirees")
sql "CREATE TABLE raw_rows (name TEXT, id_number TEXT, sex TEXT, birth_date TEXT, retirement_date TEXT, category TEXT,
     management_level TEXT, community_code TEXT, phone TEXT, address TEXT, monthly_pension TEXT, party_member TEXT,
     special_groups TEXT, notes TEXT)"
t=$(now)
psql -qX -v ON_ERROR_STOP=1 "$url" -c "\\copy raw_rows FROM '$tmp/retirees.csv' WITH (FORMAT csv, HEADER true)"
import_raw_s=$(since "$t")
sql "DROP TABLE raw_rows"
echo "   $count retirees in $import_s s ($(awk -v n="$count" -v s="$import_s" 'BEGIN { printf "%.0f", n / s }') rows/s); \\copy $import_raw_s s"
sql "VACUUM ANALYZE"
sql "CHECKPOINT"

token=$(login bench-centre)
min_id=$(sql "SELECT MIN(id) FROM retirees") max_id=$(sql "SELECT MAX(id) FROM retirees")
community=$(sql "SELECT community_code FROM retirees GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1")
district=$(sql "SELECT substr(community_code, 1, 6) FROM retirees GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1")
city=$(sql "SELECT substr(community_code, 1, 4) FROM retirees GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1")
month=$(TZ=Asia/Shanghai date +%Y-%m)

declare -A ours_p50 ours_p99 raw_p50 raw_p99
latency() { # NAME PATHS-FILE
    python3 scripts/bench_latency.py --base "$BASE_URL" --token "$token" --paths "$2" >"$tmp/$1.json"
    ours_p50[$1]=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["p50_ms"])' "$tmp/$1.json")
    ours_p99[$1]=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["p99_ms"])' "$tmp/$1.json")
    echo "   $1: $(cat "$tmp/$1.json")"
}
echo "== latency, one connection, $samples requests each"
python3 -c "import random, sys; r = random.Random(7); [print(f'/api/v1/retirees/{r.randint($min_id, $max_id)}') for _ in range($samples)]" >"$tmp/read.paths"
latency read "$tmp/read.paths"
printf '/api/v1/retirees?jurisdiction=%s&pension_status=normal&limit=50\n' $(yes "$community" | head -n "$samples") >"$tmp/community.paths"
latency community "$tmp/community.paths"
printf '/api/v1/retirees?jurisdiction=%s&pension_status=normal&category=enterprise_employee&limit=50\n' \
    $(yes "$district" | head -n "$samples") >"$tmp/district.paths"
latency district "$tmp/district.paths"

echo "\\set id random($min_id, $max_id)
SELECT * FROM retirees WHERE id = :id;" >"$tmp/read.sql"
read -r raw_p50[read] raw_p99[read] < <(pgbench_p "$tmp/read.sql")
echo "SELECT * FROM retirees WHERE community_code = '$community' AND pension_status = 'normal' ORDER BY id LIMIT 50;" >"$tmp/community.sql"
read -r raw_p50[community] raw_p99[community] < <(pgbench_p "$tmp/community.sql")
echo "SELECT * FROM retirees WHERE community_code >= '$district' AND community_code < '${district}~' AND pension_status = 'normal' AND category = 'enterprise_employee' ORDER BY id LIMIT 50;" >"$tmp/district.sql"
read -r raw_p50[district] raw_p99[district] < <(pgbench_p "$tmp/district.sql")

echo "== monthly reports ($report_runs runs each)"
declare -A report_ours report_raw
for node in "$city" "$province"; do
    : >"$tmp/ours" ; : >"$tmp/raw"
    for _ in $(seq "$report_runs"); do
        t=$(now)
        curl -fsS -o /dev/null -H "Authorization: Bearer $token" "$BASE_URL/api/v1/reports/monthly?jurisdiction=$node&month=$month"
        since "$t" >>"$tmp/ours"; echo >>"$tmp/ours"
        t=$(now)
        sql "SELECT category, management_level, sex, COUNT(*) FROM retirees WHERE community_code >= '$node' AND community_code < '${node}~' GROUP BY 1, 2, 3" >/dev/null
        since "$t" >>"$tmp/raw"; echo >>"$tmp/raw"
    done
    report_ours[$node]=$(grep . "$tmp/ours" | median)
    report_raw[$node]=$(grep . "$tmp/raw" | median)
    echo "   $node: ours ${report_ours[$node]} s, one GROUP BY ${report_raw[$node]} s"
done

echo "== certification run of city $city, 30 % overdue"
as_of=$(TZ=Asia/Shanghai date +%F)
lapsed=$(TZ=Asia/Shanghai date -d "$as_of - 30 days" +%F)
valid=$(TZ=Asia/Shanghai date -d "$as_of + 200 days" +%F)
in_city="community_code >= '$city' AND community_code < '${city}~'"
sql "UPDATE retirees SET certified_until = CASE WHEN id % 10 < 3 THEN DATE '$lapsed' ELSE DATE '$valid' END WHERE $in_city"
selection="pension_status = 'normal' AND certified_until < '$as_of' AND $in_city"
cert_expected=$(sql "SELECT COUNT(*) FROM retirees WHERE $selection")
sql "VACUUM ANALYZE retirees"
sql "CHECKPOINT"
t=$(now)
res=$(curl -sS -w '\n%{http_code}' -X POST "$BASE_URL/api/v1/certification-runs" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d "{\"jurisdiction\":\"$city\",\"as_of\":\"$as_of\"}")
cert_s=$(since "$t")
[[ ${res##*$'\n'} == 201 ]] || { echo "the run answered ${res##*$'\n'}: ${res%$'\n'*}" >&2; exit 1; }
cert_got=$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["counts"]["suspended"])' "${res%$'\n'*}")
[[ $cert_got == "$cert_expected" ]] || { echo "the run suspended $cert_got, expected $cert_expected" >&2; exit 1; }
sql "UPDATE retirees SET pension_status = 'normal', suspension_reason = NULL, suspended_from = NULL,
     status_run_id = NULL, version = version - 1 WHERE status_run_id IS NOT NULL"
[[ $(sql "SELECT COUNT(*) FROM retirees WHERE $selection") == "$cert_expected" ]] || { echo "restore differs" >&2; exit 1; }
sql "VACUUM ANALYZE retirees"
sql "CHECKPOINT"
t=$(now)
touched=$(sql "WITH u AS (UPDATE retirees SET pension_status = 'suspended' WHERE $selection RETURNING 1) SELECT COUNT(*) FROM u")
cert_raw_s=$(since "$t")
[[ $touched == "$cert_expected" ]] || { echo "the baseline touched $touched rows, expected $cert_expected" >&2; exit 1; }
echo "   run $cert_s s for $cert_got suspended; plain UPDATE $cert_raw_s s"

echo "== sizes"
sql "SELECT c.relname, pg_size_pretty(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
     ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 8" | sed 's/^/   /'
database_size=$(sql "SELECT pg_size_pretty(pg_database_size(current_database()))")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
printf '\n%-28s %14s %14s %8s %s\n' scenario ours baseline ratio target
printf '%-28s %12ss %12ss %8s %s\n' "divisions ($nodes nodes)" "$divisions_s" "$divisions_raw_s" "$(ratio "$divisions_s" "$divisions_raw_s")" ""
printf '%-28s %12ss %12ss %8s %s\n' "import ($count rows)" "$import_s" "$import_raw_s" "$(ratio "$import_s" "$import_raw_s")" "≤ 1.5×"
for s in read community district; do
    printf '%-28s %11sms %11sms %8s %s\n' "$s p50" "${ours_p50[$s]}" "${raw_p50[$s]}" "$(ratio "${ours_p50[$s]}" "${raw_p50[$s]}")" ""
    target=""; [[ $s == read ]] && target="< 10 ms"; [[ $s == community ]] && target="< 20 ms"
    printf '%-28s %11sms %11sms %8s %s\n' "$s p99" "${ours_p99[$s]}" "${raw_p99[$s]}" "$(ratio "${ours_p99[$s]}" "${raw_p99[$s]}")" "$target"
done
printf '%-28s %12ss %12ss %8s %s\n' "monthly report city $city" "${report_ours[$city]}" "${report_raw[$city]}" "$(ratio "${report_ours[$city]}" "${report_raw[$city]}")" "< 2 s"
printf '%-28s %12ss %12ss %8s %s\n' "certification run, $cert_got" "$cert_s" "$cert_raw_s" "$(ratio "$cert_s" "$cert_raw_s")" "≤ 2×"
printf '%-28s %12ss %12ss %8s %s\n' "monthly report province" "${report_ours[$province]}" "${report_raw[$province]}" "$(ratio "${report_ours[$province]}" "${report_raw[$province]}")" "< 30 s"
echo "database $database_size; scripts/bench-province.sh --rows $rows --province $province --samples $samples; $(nproc) cores; $(date -u +%FT%TZ)"

mkdir -p target/bench
cat >target/bench/province.json <<EOF
{"rows": $count, "province": "$province", "nodes": $nodes, "database_size": "$database_size",
 "divisions_s": $divisions_s, "divisions_raw_s": $divisions_raw_s, "import_s": $import_s, "import_raw_s": $import_raw_s,
 "read": {"p50_ms": ${ours_p50[read]}, "p99_ms": ${ours_p99[read]}, "raw_p50_ms": ${raw_p50[read]}, "raw_p99_ms": ${raw_p99[read]}},
 "community": {"p50_ms": ${ours_p50[community]}, "p99_ms": ${ours_p99[community]}, "raw_p50_ms": ${raw_p50[community]}, "raw_p99_ms": ${raw_p99[community]}},
 "district": {"p50_ms": ${ours_p50[district]}, "p99_ms": ${ours_p99[district]}, "raw_p50_ms": ${raw_p50[district]}, "raw_p99_ms": ${raw_p99[district]}},
 "report_city_s": ${report_ours[$city]}, "report_city_raw_s": ${report_raw[$city]},
 "report_province_s": ${report_ours[$province]}, "report_province_raw_s": ${report_raw[$province]},
 "certification_city": "$city", "certification_suspended": $cert_got, "certification_s": $cert_s, "certification_raw_s": $cert_raw_s}
EOF
