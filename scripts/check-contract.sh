#!/usr/bin/env bash
# Checks the published OpenAPI contract the way an integrator meets it (issue 22, "The contract"):
#   1. Redocly's recommended ruleset passes with 0 errors on the committed openapi.yaml;
#   2. openapi.yaml read by a YAML 1.1 parser (PyYAML, what many generators use) equals the served /openapi.json;
#   3. a TypeScript client (openapi-typescript + openapi-fetch) generated from openapi.yaml compiles, and its smoke
#      script logs in, registers a retiree and finds it in the list, against a fresh demo server;
#   4. a Python client (openapi-python-client) generated from openapi.yaml installs, and its smoke script does the same.
# Tools are pinned (scripts/clients/package.json, OPC_VERSION below) and installed under scripts/clients/node_modules
# and target/contract-venv on first use. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

OPC_VERSION=0.29.1
clients=scripts/clients
venv=target/contract-venv
port=18480
base="http://127.0.0.1:$port"

echo "== installing contract tools"
(cd "$clients" && npm ci --silent --no-audit --no-fund)
if [[ ! -x "$venv/bin/openapi-python-client" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "openapi-python-client==$OPC_VERSION" 'PyYAML>=6'
fi

echo "== redocly lint (recommended ruleset): 0 errors"
"$clients/node_modules/.bin/redocly" lint --config redocly.yaml --format summary openapi.yaml

echo "== building retiree-service"
cargo build --bin retiree-service

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
    local rc=$?
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [[ $rc -ne 0 && -f "$tmp/server.log" ]]; then
        echo "== server log (last 30 lines)"
        tail -n 30 "$tmp/server.log"
    fi
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT

DATABASE_URL="sqlite://$tmp/contract.db" BIND_ADDR="127.0.0.1:$port" \
JWT_SECRET="$(python3 -c 'import secrets; print(secrets.token_hex(32))')" RUST_LOG=warn \
    target/debug/retiree-service serve --demo >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 240); do
    curl -fsS "$base/readyz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { echo "server exited early" >&2; exit 1; }
    sleep 0.25
done
curl -fsS "$base/readyz" >/dev/null

echo "== openapi.yaml read as YAML 1.1 equals the served /openapi.json"
curl -fsS "$base/openapi.json" -o "$tmp/openapi.json"
"$venv/bin/python" - "$tmp/openapi.json" <<'EOF'
import json, sys
import yaml  # PyYAML implements YAML 1.1: `on`, `no`, `y` … unquoted would read as booleans

with open("openapi.yaml", encoding="utf-8") as f:
    committed = yaml.safe_load(f)
with open(sys.argv[1], encoding="utf-8") as f:
    served = json.load(f)

def diff(a, b, at="$"):
    if type(a) is not type(b):
        return f"{at}: {a!r} (yaml) vs {b!r} (json)"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                return f"{at}.{k}: only in {'json' if k not in a else 'yaml'}"
            d = diff(a[k], b[k], f"{at}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{at}: {len(a)} items (yaml) vs {len(b)} (json)"
        for i, (x, y) in enumerate(zip(a, b)):
            d = diff(x, y, f"{at}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{at}: {a!r} (yaml) vs {b!r} (json)"

d = diff(committed, served)
if d:
    sys.exit(f"openapi.yaml differs from /openapi.json under YAML 1.1: {d}")
print("ok")
EOF

echo "== TypeScript client: generate, compile, login → create → list"
(
    cd "$clients"
    rm -rf generated dist
    node_modules/.bin/openapi-typescript ../../openapi.yaml -o generated/schema.ts
    node_modules/.bin/tsc -p tsconfig.json
    BASE_URL="$base" node dist/smoke.js
)

echo "== Python client: generate, install, login → create → list"
rm -rf "$tmp/python"
mkdir -p "$tmp/python"
"$venv/bin/openapi-python-client" generate --path openapi.yaml --meta setup --output-path "$tmp/python/retiree-api-client" \
    --config "$clients/python-config.yaml"
"$venv/bin/pip" install --quiet --disable-pip-version-check "$tmp/python/retiree-api-client"
BASE_URL="$base" "$venv/bin/python" "$clients/smoke.py"

echo "== contract checks passed"
