#!/usr/bin/env bash
# Runs the README's shell examples against a fresh demo server (issue 22: "every command block in the README works
# when copied in order on a fresh demo").
#
#   bash scripts/check-readme.sh [README.md]
#
# Builds the binary (debug), starts `serve --demo` on the embedded SQLite database in a temporary directory on a
# free port, extracts every ```sh block of the README in order and runs them all in one bash with
# `set -euo pipefail`, `curl` meaning `curl -sS --fail-with-body` (any answer outside 2xx stops the run and fails
# the check), `http://127.0.0.1:8080` meaning the demo server and the working directory at the repository root.
# A block preceded by the line `<!-- readme-check: skip -->` is not run: the blocks that build or start the
# service or run the tests (the check runs its own server). Exit status 0 when every block ran to the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
readme="${1:-README.md}"

tmp="$(mktemp -d)"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# The blocks, in order, each with its first line number; skipped ones are listed but not run.
python3 - "$readme" "$tmp/blocks.sh" <<'EOF'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
out, ran, skipped = [], 0, 0
i = 0
while i < len(lines):
    line = lines[i]
    if line.strip() == "```sh":
        skip = any(l.strip() == "<!-- readme-check: skip -->" for l in lines[max(0, i - 2):i])
        start = i + 1
        j = start
        while j < len(lines) and lines[j].strip() != "```":
            j += 1
        if j == len(lines):
            sys.exit(f"{sys.argv[1]}:{i + 1}: a ```sh block that is never closed")
        if skip:
            skipped += 1
            print(f"  skip  README.md:{start} ({lines[start].strip()[:60]})")
        else:
            ran += 1
            print(f"  run   README.md:{start} ({lines[start].strip()[:60]})")
            out.append(f"echo '>>> README.md:{start}' >&2")
            out.extend(lines[start:j])
        i = j
    i += 1
if ran == 0:
    sys.exit("no ```sh block to run")
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(out) + "\n")
print(f"{ran} blocks to run, {skipped} skipped")
EOF

cargo build -q --bin retiree-service
bin="$root/target/debug/retiree-service"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
DATABASE_URL="sqlite://$tmp/demo.db" BIND_ADDR="127.0.0.1:$port" RUST_LOG=warn \
    "$bin" serve --demo >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 120); do
    "$bin" healthcheck --addr "127.0.0.1:$port" >/dev/null 2>&1 && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        cat "$tmp/server.log" >&2
        echo "FAIL: the demo server did not start" >&2
        exit 1
    fi
    sleep 0.5
done
"$bin" healthcheck --addr "127.0.0.1:$port"

# The README's address is the default BIND_ADDR; here it is the demo server's.
sed -i "s#127\.0\.0\.1:8080#127.0.0.1:$port#g" "$tmp/blocks.sh"
cat >"$tmp/run.sh" <<EOF
set -euo pipefail
curl() { command curl -sS --fail-with-body "\$@"; }
export BASE_URL=http://127.0.0.1:$port
cd "$root"
EOF
cat "$tmp/blocks.sh" >>"$tmp/run.sh"
if ! (cd "$tmp" && bash "$tmp/run.sh" >"$tmp/out.log" 2>&1); then
    echo "FAIL: a README command failed; its output:" >&2
    tail -n 40 "$tmp/out.log" | cut -c1-400 >&2
    echo "== server log (last 20 lines)" >&2
    tail -n 20 "$tmp/server.log" >&2
    exit 1
fi
grep '^>>> ' "$tmp/out.log" | sed 's/^>>> /  ok    /'
echo "README check passed"
