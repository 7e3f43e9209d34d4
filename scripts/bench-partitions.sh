#!/usr/bin/env bash
# Monthly partitions of the audit log on PostgreSQL (issue 28; docs/scale.md "Partitions"), measured beside the
# raw baseline in the same run: the same rows in one unpartitioned table with the same indexes.
#
# On a fresh database (createdb on $BENCH_POSTGRES_URL, dropped afterwards): the service's migrations (so
# `audit_log` is partitioned as in production), N generated audit rows over M months (default 10,000,000 over 24:
# reads of 1,000,000 people by 500 clerks in 6 districts), and `audit_flat`, a plain copy with the same indexes.
# Then, each on both tables (pgbench, one client, --seconds each, p50/p99 from its per-transaction log):
#   person   the audit entries of one person, newest 50 (the timeline and GET /audit-log?object_id= shape)
#   scope    the newest 50 entries of a district (GET /audit-log as a district auditor)
#   actor    the newest 50 entries of one clerk (GET /audit-log?actor=)
# then the oldest month goes: on the partitioned table DETACH + DROP (what the partition job does after the
# archive), on the baseline `DELETE ... WHERE occurred_at < end of that month` (what a table without partitions must
# do), both timed; and the three queries again after it. Nothing fails on a figure; the table is printed and
# written to target/bench/partitions.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() {
    cat <<'EOF'
Usage: scripts/bench-partitions.sh [--rows N] [--months M] [--seconds S]

  --rows N      audit rows to generate (default 10000000)
  --months M    months they span, ending this month (default 24)
  --seconds S   pgbench duration per query and table (default 10)
Environment: BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres); BENCH_BIN (a built binary;
  default target/debug/retiree-service, built if missing: only its migrations are used)
EOF
}

rows=10000000 months=24 seconds=10
while (($#)); do
    case "$1" in
        --rows) rows=${2:?}; shift 2 ;;
        --months) months=${2:?}; shift 2 ;;
        --seconds) seconds=${2:?}; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
[[ $rows =~ ^[1-9][0-9]*$ && $months =~ ^[1-9][0-9]*$ && $seconds =~ ^[1-9][0-9]*$ ]] || { usage >&2; exit 2; }

pg_base="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
bin=${BENCH_BIN:-target/debug/retiree-service}
[[ -x $bin ]] || cargo build --bin retiree-service
export PGOPTIONS='-c client_min_messages=warning'
# Only the migrations run; the data keys are the benchmarks' own (as scripts/bench-http.sh).
export DATA_KEYS=bench1:YmVuY2gtZGF0YS1rZXktYmVuY2gtZGF0YS1rZXktMDE= DATA_KEY_ID=bench1
export DATA_HASH_KEY=YmVuY2gtaGFzaC1rZXktYmVuY2gtaGFzaC1rZXktMDE=
db="bench_partitions_$$"
url="${pg_base%/*}/$db"
tmp="$(mktemp -d)"
cleanup() {
    dropdb --if-exists --maintenance-db="$pg_base" "$db" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.3f", e - s }'; }
sql() { psql -qAtX -v ON_ERROR_STOP=1 "$url" -c "$1"; }

createdb --maintenance-db="$pg_base" "$db"
DATABASE_URL=$url JWT_SECRET=bench-secret-bench-secret-bench-secret-0123 RUST_LOG=warn "$bin" migrate >/dev/null

echo "generating $rows audit rows over $months months ..."
t=$(now)
per_month=$(( rows / months ))
first_month=$(sql "SELECT to_char(date_trunc('month', now()) - interval '$(( months - 1 )) months', 'YYYY-MM-DD')")
# Every month has its partition, as the job keeps them (the migration made this month and three ahead).
for ((k = 0; k < months; k++)); do
    sql "SELECT create_month_partition('audit_log', (DATE '$first_month' + interval '$k months')::date)" >/dev/null
done
for ((k = 0; k < months; k++)); do
    sql "INSERT INTO audit_log (occurred_at, actor, actor_role, action, object_type, object_id, retiree_id,
            scope_path, outcome, client_ip, request_id)
         SELECT (DATE '$first_month' + interval '$k months') + ((i * 2) % 2419200) * interval '1 second',
                'clerk' || (i % 500), 'community', 'retiree.read', 'retiree', ((i::bigint * 7919) % 1000000)::text,
                (i::bigint * 7919) % 1000000, '/35/3502/' || (350203 + (i % 6)) || '/', 'success', '10.0.0.1',
                md5(i::text)
         FROM generate_series($(( k * per_month + 1 )), $(( (k + 1) * per_month ))) i"
done
generated=$(since "$t")
t=$(now)
sql "CREATE TABLE audit_flat (LIKE audit_log INCLUDING DEFAULTS);
     INSERT INTO audit_flat SELECT * FROM audit_log;
     ALTER TABLE audit_flat ADD PRIMARY KEY (id);
     CREATE INDEX ON audit_flat (retiree_id, id); CREATE INDEX ON audit_flat (actor, id);
     CREATE INDEX ON audit_flat (object_type, object_id, id); CREATE INDEX ON audit_flat (occurred_at);
     CREATE INDEX ON audit_flat (scope_path, id);"
sql "VACUUM ANALYZE audit_log"
sql "VACUUM ANALYZE audit_flat"
sql "CHECKPOINT"
copied=$(since "$t")
total=$(sql "SELECT COUNT(*) FROM audit_log")
size_part=$(sql "SELECT pg_size_pretty(SUM(pg_total_relation_size(inhrelid))) FROM pg_inherits WHERE inhparent = 'audit_log'::regclass")
size_flat=$(sql "SELECT pg_size_pretty(pg_total_relation_size('audit_flat'))")
echo "  $total rows in $generated s (baseline copy and indexes $copied s); partitioned $size_part, flat $size_flat"

cat >"$tmp/person.sql" <<'EOF'
\set r random(0, 999999)
SELECT id, occurred_at, action FROM TABLE WHERE retiree_id = :r ORDER BY id DESC LIMIT 50;
EOF
cat >"$tmp/scope.sql" <<'EOF'
\set d random(350203, 350208)
SELECT id, occurred_at, actor FROM TABLE WHERE scope_path >= '/35/3502/' || :d || '/' AND scope_path < '/35/3502/' || :d || '0' ORDER BY id DESC LIMIT 50;
EOF
cat >"$tmp/actor.sql" <<'EOF'
\set a random(0, 499)
SELECT id, occurred_at, object_id FROM TABLE WHERE actor = 'clerk' || :a ORDER BY id DESC LIMIT 50;
EOF

declare -A p50 p99 tps
# run_query NAME TABLE PHASE: pgbench for --seconds, one client; p50/p99 in ms from the per-transaction log.
run_query() {
    local name=$1 table=$2 phase=$3 script="$tmp/$1-$2.sql"
    sed "s/FROM TABLE/FROM $table/" "$tmp/$name.sql" >"$script"
    (cd "$tmp" && rm -f pgbench_log.* && pgbench -n -c 1 ${PGBENCH_MODE:+-M $PGBENCH_MODE} -T "$seconds" -f "$script" -l "$url" >"$tmp/out" 2>&1) || {
        cat "$tmp/out" >&2
        return 1
    }
    read -r p50[$phase-$name-$table] p99[$phase-$name-$table] < <(cat "$tmp"/pgbench_log.* | awk '{print $3}' | sort -n | awk '
        { v[NR] = $1 } END { printf "%.3f %.3f\n", v[int(NR * 0.5) + 1] / 1000, v[int(NR * 0.99) + 1] / 1000 }')
    tps[$phase-$name-$table]=$(grep -oP 'tps = \K[0-9.]+' "$tmp/out" | head -1)
}

for phase in before after; do
    if [[ $phase == after ]]; then
        oldest=$(sql "SELECT to_char(DATE '$first_month', 'YYYY-MM-DD')")
        name=$(sql "SELECT 'audit_log_y' || to_char(DATE '$oldest', 'YYYY') || 'm' || to_char(DATE '$oldest', 'MM')")
        month_rows=$(sql "SELECT COUNT(*) FROM $name")
        t=$(now)
        sql "ALTER TABLE audit_log DETACH PARTITION $name; DROP TABLE $name;"
        drop_part=$(since "$t")
        t=$(now)
        sql "DELETE FROM audit_flat WHERE occurred_at < DATE '$oldest' + interval '1 month'"
        drop_flat=$(since "$t")
        sql "VACUUM ANALYZE audit_flat"
        sql "CHECKPOINT"
        echo "oldest month ($month_rows rows): DETACH + DROP $drop_part s; baseline DELETE $drop_flat s"
    fi
    for q in person scope actor; do
        for table in audit_log audit_flat; do
            run_query "$q" "$table" "$phase"
        done
    done
done

printf '\n%-8s %-7s %12s %12s %12s %12s %8s\n' query phase "part p50 ms" "part p99 ms" "flat p50 ms" "flat p99 ms" "p50 ×"
for phase in before after; do
    for q in person scope actor; do
        a=${p50[$phase-$q-audit_log]} b=${p99[$phase-$q-audit_log]} c=${p50[$phase-$q-audit_flat]} d=${p99[$phase-$q-audit_flat]}
        printf '%-8s %-7s %12s %12s %12s %12s %8s\n' "$q" "$phase" "$a" "$b" "$c" "$d" \
            "$(awk -v x="$a" -v y="$c" 'BEGIN { printf "%.2f", x / y }')"
    done
done
printf '\ndrop the oldest month (%s rows): partitioned DETACH + DROP %s s, baseline DELETE %s s (%s×)\n' \
    "$month_rows" "$drop_part" "$drop_flat" "$(awk -v x="$drop_flat" -v y="$drop_part" 'BEGIN { printf "%.0f", x / y }')"
echo "scripts/bench-partitions.sh --rows $rows --months $months --seconds $seconds; $(nproc) cores; $(date -u +%FT%TZ)"

mkdir -p target/bench
python3 - "$tmp" >target/bench/partitions.json <<EOF
import json
print(json.dumps({
    "rows": $total, "months": $months, "seconds": $seconds,
    "size_partitioned": "$size_part", "size_flat": "$size_flat",
    "drop_month": {"rows": $month_rows, "partitioned_s": $drop_part, "flat_delete_s": $drop_flat},
    "queries": {
$(for phase in before after; do for q in person scope actor; do for table in audit_log audit_flat; do
    echo "        \"$phase/$q/$table\": {\"p50_ms\": ${p50[$phase-$q-$table]}, \"p99_ms\": ${p99[$phase-$q-$table]}, \"tps\": ${tps[$phase-$q-$table]:-0}},"
done; done; done)
    },
}, indent=2))
EOF
