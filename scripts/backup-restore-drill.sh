#!/usr/bin/env bash
# Backup and restore drill (issue 22, docs/operations.md "Backups"): proves that a pg_dump of the service's
# database restores into a fresh database on which the service starts and answers.
#
#   scripts/backup-restore-drill.sh            # against PostgreSQL at $PGURL (default postgres://postgres@127.0.0.1:5432)
#
# 1. creates a demo database (migrations + demo data through the service itself, `seed-demo`);
# 2. dumps it with `pg_dump -Fc` (the format the compose `backup` service writes);
# 3. restores the dump into a new, empty database with `pg_restore --no-owner`;
# 4. starts the service on the restored database and checks a read: a token for the demo `city` account and
#    GET /api/v1/retirees/{id} of a person counted in the source, plus the row counts of the main tables;
# 5. drops both databases (KEEP=1 keeps them).
# Exit status 0 when every step passed. Needs pg_dump, pg_restore, psql, curl and python3.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PGURL="${PGURL:-postgres://postgres@127.0.0.1:5432}"
BIN="${BIN:-target/debug/retiree-service}"
suffix="$(date +%s)_$$"
source_db="drill_source_$suffix"
restored_db="drill_restored_$suffix"
tmp="$(mktemp -d)"
server_pid=""

cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [[ "${KEEP:-0}" != 1 ]]; then
        psql -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS $source_db" -c "DROP DATABASE IF EXISTS $restored_db" || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

step() { printf '== %s\n' "$*"; }

if [[ ! -x "$BIN" ]]; then
    step "building $BIN"
    cargo build --bin retiree-service
fi
export JWT_SECRET="${JWT_SECRET:-drill-only-secret-drill-only-secret-0123}"

step "1. a demo database: $source_db"
psql -q "$PGURL/postgres" -c "CREATE DATABASE $source_db"
DATABASE_URL="$PGURL/$source_db" "$BIN" seed-demo >"$tmp/seed.log"

count() { psql -At "$PGURL/$1" -c "SELECT count(*) FROM $2"; }
tables=(jurisdictions accounts retirees audit_log events)
declare -A before
for t in "${tables[@]}"; do before[$t]="$(count "$source_db" "$t")"; done
person="$(psql -At "$PGURL/$source_db" -c "SELECT id FROM retirees ORDER BY id LIMIT 1")"
echo "   ${before[retirees]} retirees, ${before[jurisdictions]} jurisdictions, ${before[audit_log]} audit entries"

step "2. pg_dump -Fc"
started=$(date +%s.%N)
pg_dump -Fc -f "$tmp/backup.dump" "$PGURL/$source_db"
echo "   $(du -h "$tmp/backup.dump" | cut -f1) in $(python3 -c "print(f'{$(date +%s.%N) - $started:.1f}')") s"

step "3. pg_restore into a fresh database: $restored_db"
psql -q "$PGURL/postgres" -c "CREATE DATABASE $restored_db"
started=$(date +%s.%N)
pg_restore --no-owner --exit-on-error -d "$PGURL/$restored_db" "$tmp/backup.dump"
echo "   restored in $(python3 -c "print(f'{$(date +%s.%N) - $started:.1f}')") s"
for t in "${tables[@]}"; do
    after="$(count "$restored_db" "$t")"
    if [[ "$after" != "${before[$t]}" ]]; then
        echo "FAIL: $t has $after rows after the restore, ${before[$t]} before" >&2
        exit 1
    fi
done
echo "   row counts equal: ${tables[*]}"

step "4. the service on the restored database"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
DATABASE_URL="$PGURL/$restored_db" BIND_ADDR="127.0.0.1:$port" RUST_LOG=warn "$BIN" serve >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 60); do
    "$BIN" healthcheck --addr "127.0.0.1:$port" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.log" >&2; echo "FAIL: the service did not start" >&2; exit 1; }
    sleep 1
done
"$BIN" healthcheck --addr "127.0.0.1:$port"
base="http://127.0.0.1:$port/api/v1"
token="$(curl -sS --fail-with-body -X POST "$base/auth/token" -H 'Content-Type: application/json' \
    -d '{"grant_type":"password","username":"city","password":"demo-password-2026"}' \
    | python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])')"
curl -sS --fail-with-body "$base/retirees/$person" -H "Authorization: Bearer $token" -o "$tmp/person.json"
python3 - "$tmp/person.json" "$person" <<'EOF'
import json, sys
body = json.load(open(sys.argv[1]))
assert body["id"] == int(sys.argv[2]), body
print(f"   GET /retirees/{body['id']}: 200, {body['name'][0]}**, version {body['version']}")
EOF
step "backup and restore drill passed"
