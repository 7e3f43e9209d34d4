#!/usr/bin/env bash
# Fuzz the running service against its own OpenAPI document with Schemathesis 4.
# Env: ST_MAX_EXAMPLES (default 30), ST_PHASES (default: all four phases).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

venv=target/schemathesis-venv
addr=127.0.0.1:18080
base="http://$addr"

if [[ ! -x "$venv/bin/schemathesis" ]]; then
    echo "== installing schemathesis into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'schemathesis==4.*'
fi
"$venv/bin/schemathesis" --version

echo "== building retiree-service"
cargo build --bin retiree-service

tmp="$(mktemp -d)"
log="$tmp/server.log"
server_pid=""
cleanup() {
    local rc=$?
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [[ $rc -ne 0 && -f "$log" ]]; then
        echo "== server log (last 50 lines)"
        tail -n 50 "$log"
    fi
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT

echo "== starting retiree-service on $addr (SQLite, demo data)"
DATABASE_URL="sqlite://$tmp/st.db" \
BIND_ADDR="$addr" \
JWT_SECRET="$(python3 -c 'import secrets; print(secrets.token_hex(32))')" \
RUST_LOG=warn \
    target/debug/retiree-service serve --demo >"$log" 2>&1 &
server_pid=$!

for _ in $(seq 60); do
    curl -fsS "$base/readyz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { echo "server exited early" >&2; exit 1; }
    sleep 1
done
curl -fsS "$base/readyz" >/dev/null

echo "== requesting a token for the demo account 'city'"
token_json="$(curl -sS -X POST "$base/api/v1/auth/token" -H 'Content-Type: application/json' \
    -d '{"grant_type":"password","username":"city","password":"demo-password-2026"}')"
token="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])' <<<"$token_json")" || {
    echo "no access_token in response: $token_json" >&2
    exit 1
}

echo "== running schemathesis"
"$venv/bin/schemathesis" run "$base/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "${ST_MAX_EXAMPLES:-30}" \
    --phases "${ST_PHASES:-examples,coverage,fuzzing,stateful}" \
    --workers 2
