#!/usr/bin/env bash
# Imports a roster file into the service and follows the import job to its end.
#
#   scripts/import.sh FILE [--kind retirees|dependents] [--mode atomic|partial]
#                          [--on-conflict error|skip|update] [--key IDEMPOTENCY_KEY] [--interval SECONDS]
#
# Needs bash, curl and python3 (for JSON). See --help.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/import.sh FILE [options]

Uploads FILE to POST /api/v1/imports/{kind}, follows the job it starts (GET Location) until it ends, prints a
progress line whenever the counters change and a summary at the end. When rows were rejected, downloads the
rejected-rows report (GET /api/v1/imports/{id}/errors.csv) to FILE.errors.csv.

Options:
  --kind retirees|dependents        what the file holds (default retirees)
  --mode atomic|partial             atomic: all rows or none (default); partial: keep the good rows
  --on-conflict error|skip|update   a row whose resident ID is registered already (default error)
  --key KEY                         Idempotency-Key header: sending the same upload again with the same key
                                    answers with the first job instead of starting another
  --interval SECONDS                poll interval (default 0.5, or $POLL_INTERVAL)
  -h, --help                        this text

Content-Type from the extension: .csv text/csv, .ndjson/.jsonl application/x-ndjson, .xlsx the OOXML sheet
type; .gz by the inner extension (the service recognises gzip itself). The file is streamed from disk.

Environment:
  BASE_URL             service address (default http://127.0.0.1:8080)
  TOKEN                bearer token; or
  USERNAME, PASSWORD   log in with these (POST /api/v1/auth/token) to get one

Exit status (follows the job's status):
  0 succeeded: every row was written;
  1 rejected (nothing written: atomic import with bad rows, every row bad, or an unusable file) or failed;
  2 the upload was refused (the problem is printed), the service could not be reached, or a usage error;
  3 completed_with_errors (partial mode: the good rows were written, the bad ones are in FILE.errors.csv).

Example:
  TOKEN=... scripts/import.sh roster.csv --mode partial --on-conflict skip
  USERNAME=importer PASSWORD=demo-password-2026 scripts/import.sh retirees.ndjson.gz
EOF
}

die() { echo "import.sh: $*" >&2; exit 2; }

file="" kind=retirees mode=atomic on_conflict=error key="" interval="${POLL_INTERVAL:-0.5}"
while (($#)); do
    case "$1" in
        -h | --help) usage; exit 0 ;;
        --kind | --mode | --on-conflict | --key | --interval)
            (($# >= 2)) || die "$1 needs a value (see --help)"
            case "$1" in
                --kind) kind=$2 ;; --mode) mode=$2 ;; --on-conflict) on_conflict=$2 ;;
                --key) key=$2 ;; --interval) interval=$2 ;;
            esac
            shift 2 ;;
        --kind=* ) kind=${1#*=}; shift ;;
        --mode=* ) mode=${1#*=}; shift ;;
        --on-conflict=* ) on_conflict=${1#*=}; shift ;;
        --key=* ) key=${1#*=}; shift ;;
        --interval=* ) interval=${1#*=}; shift ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) [[ -z $file ]] || die "one file at a time ($file and $1 given)"; file=$1; shift ;;
    esac
done
[[ -n $file ]] || { usage >&2; exit 2; }
[[ -f $file && -r $file ]] || die "cannot read $file"
case "$kind" in retirees | dependents) ;; *) die "--kind must be retirees or dependents" ;; esac
case "$mode" in atomic | partial) ;; *) die "--mode must be atomic or partial" ;; esac
case "$on_conflict" in error | skip | update) ;; *) die "--on-conflict must be error, skip or update" ;; esac
[[ $interval =~ ^[0-9]*\.?[0-9]+$ ]] || die "--interval must be a number of seconds"
command -v curl >/dev/null || die "curl is needed"
command -v python3 >/dev/null || die "python3 is needed"

name=${file,,}
[[ $name == *.gz ]] && name=${name%.gz}
case "$name" in
    *.csv) content_type=text/csv ;;
    *.ndjson | *.jsonl) content_type=application/x-ndjson ;;
    *.xlsx) content_type=application/vnd.openxmlformats-officedocument.spreadsheetml.sheet ;;
    *) die "cannot tell the format of $file: name it .csv, .ndjson, .jsonl or .xlsx (optionally .gz)" ;;
esac

base=${BASE_URL:-http://127.0.0.1:8080}
base=${base%/}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# json FILE EXPR: evaluates a Python expression over the JSON document `d` of FILE and prints the result.
json() {
    python3 - "$1" "$2" <<'PY'
import json, sys
try:
    with open(sys.argv[1], encoding="utf-8") as f:
        d = json.load(f)
except (OSError, ValueError):
    d = {}
g = lambda k, default="": d.get(k, default) if isinstance(d, dict) else default
print(eval(sys.argv[2]))
PY
}

# Prints a problem+json answer (or whatever came back) for a failed request.
show_problem() {
    local status=$1 body=$2
    echo "HTTP $status" >&2
    python3 - "$body" >&2 <<'PY' || cat "$body" >&2
import json, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
try:
    p = json.loads(text)
except ValueError:
    print(text.strip()[:2000])
    sys.exit(0)
if not isinstance(p, dict):
    print(text.strip()[:2000])
    sys.exit(0)
print(f"{p.get('code', '')}: {p.get('detail') or p.get('title', '')}")
for e in (p.get("errors") or [])[:50]:
    where = e.get("field") or e.get("pointer") or ""
    line = f"line {e['line']} " if e.get("line") else ""
    print(f"  {line}{where}: {e.get('message') or e.get('detail', '')} ({e.get('code', '')})")
if p.get("request_id"):
    print(f"request id {p['request_id']}")
PY
}

login() {
    [[ -n ${USERNAME:-} && -n ${PASSWORD:-} ]] || die "set TOKEN, or USERNAME and PASSWORD"
    python3 -c 'import json, os; print(json.dumps({"grant_type": "password",
        "username": os.environ["USERNAME"], "password": os.environ["PASSWORD"]}))' >"$tmp/login.json"
    local status
    status=$(curl -sS -o "$tmp/token.json" -w '%{http_code}' -X POST "$base/api/v1/auth/token" \
        -H 'Content-Type: application/json' --data-binary @"$tmp/login.json") || die "cannot reach $base"
    if [[ $status != 200 ]]; then
        echo "import.sh: login as $USERNAME refused" >&2
        show_problem "$status" "$tmp/token.json"
        exit 2
    fi
    TOKEN=$(json "$tmp/token.json" 'g("access_token")')
    [[ -n $TOKEN ]] || die "the token answer has no access_token"
}

[[ -n ${TOKEN:-} ]] || login

url="$base/api/v1/imports/$kind?mode=$mode&on_conflict=$on_conflict"
headers=(-H "Authorization: Bearer $TOKEN" -H "Content-Type: $content_type" -H 'Expect:')
[[ -n $key ]] && headers+=(-H "Idempotency-Key: $key")
size=$(stat -c %s "$file")
echo "uploading $file ($((size / 1024)) KiB, $content_type) to $url"
started=$(date +%s.%N)
# -T streams the file from disk with its Content-Length (--data-binary @FILE would read it all into memory
# first); -X POST keeps the method; an empty Expect header skips the 100-continue round trip.
status=$(curl -sS -X POST -T "$file" "${headers[@]}" -D "$tmp/headers" -o "$tmp/body" -w '%{http_code}' "$url") \
    || die "upload to $base failed"
if [[ ! $status =~ ^20[012]$ ]]; then
    echo "import.sh: the upload was refused" >&2
    show_problem "$status" "$tmp/body"
    exit 2
fi
location=$(tr -d '\r' <"$tmp/headers" | awk 'tolower($1) == "location:" {print $2}' | tail -n 1)
if [[ -z $location ]]; then
    id=$(json "$tmp/body" 'g("id")')
    [[ -n $id ]] || { show_problem "$status" "$tmp/body"; die "the answer names no job (no Location, no id)"; }
    location="/api/v1/imports/$id"
fi
[[ $location == http* ]] || location="$base$location"
echo "job $location (HTTP $status)"

elapsed() { awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

cp "$tmp/body" "$tmp/job"
last=""
while :; do
    # status, then the progress line; both from the latest job body.
    read -r state line < <(json "$tmp/job" '"{} rows read {:,}  accepted {:,}  rejected {:,}  {:.0%}".format(
        g("status") or "?", int(g("rows_read", 0) or 0), int(g("accepted", 0) or 0), int(g("rejected", 0) or 0),
        float(g("progress", 0) or 0))')
    if [[ $line != "$last" ]]; then
        printf '%7ss  %-9s %s\n' "$(elapsed)" "$state" "$line"
        last=$line
    fi
    case "$state" in succeeded | completed_with_errors | rejected | failed) break ;; esac
    sleep "$interval"
    poll=$(curl -sS -o "$tmp/poll" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$location") || {
        echo "import.sh: cannot reach $base, trying again" >&2; sleep 2; continue; }
    case "$poll" in
        200) cp "$tmp/poll" "$tmp/job" ;;
        401) if [[ -n ${USERNAME:-} && -n ${PASSWORD:-} ]]; then login; else
                 show_problem "$poll" "$tmp/poll"; die "the token is no longer accepted while following $location"; fi ;;
        *) show_problem "$poll" "$tmp/poll"; die "following $location failed" ;;
    esac
done
wall=$(elapsed)

json "$tmp/job" '"\n".join([
    "import {} {}: {} in {} s".format(g("id"), g("kind"), g("status"), "'"$wall"'"),
    "  mode {}, on_conflict {}, format {}".format(g("mode"), g("on_conflict"), g("format")),
    "  rows read {:,}: accepted {:,} (created {:,}, updated {:,}, skipped {:,}), rejected {:,}".format(
        *(int(g(k, 0) or 0) for k in ("rows_read", "accepted", "created", "updated", "skipped", "rejected"))),
] + (["  error: " + ("{}: {}".format(g("error").get("code", ""), g("error").get("message", ""))
                      if isinstance(g("error"), dict) else str(g("error")))] if g("error") else []))'

rejected=$(json "$tmp/job" 'int(g("rejected", 0) or 0)')
if ((rejected > 0)); then
    report_url=$(json "$tmp/job" '(g("links", {}) or {}).get("errors_csv") or "/api/v1/imports/{}/errors.csv".format(g("id"))')
    [[ $report_url == http* ]] || report_url="$base$report_url"
    report="$file.errors.csv"
    touch "$report" 2>/dev/null || report="$PWD/$(basename "$file").errors.csv"
    code=$(curl -sS -o "$report" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$report_url") || code=000
    if [[ $code == 200 ]]; then
        echo "  rejected rows and their errors: $report"
    else
        echo "import.sh: could not download the rejected-rows report (HTTP $code)" >&2
        rm -f "$report"
    fi
fi

case "$(json "$tmp/job" 'g("status")')" in
    succeeded) exit 0 ;;
    completed_with_errors) exit 3 ;;
    *) exit 1 ;;
esac
