#!/usr/bin/env bash
# The HTTP scenarios of scripts/bench (issue 9), each beside a raw baseline measured in the same run on the same
# data, per backend:
#   read:  GET /api/v1/retirees/{random id} with a real token, scope check and audit, 64 connections (wrk);
#          baseline: the same primary-key SELECT, 64 clients (pgbench on PostgreSQL; on SQLite one Python process
#          per core over the same file, as SQLite has no server to load). Target: >= 0.5x the rate, p99 < 10 ms.
#   list:  GET /api/v1/retirees?jurisdiction=<the largest community>&pension_status=normal&limit=50, each
#          connection following next_cursor (back to the first page at the end); baseline: the equivalent keyset
#          SELECT (same filter, 50 rows after a random id). Target: >= 0.3x.
#   http:  the limit HTTP itself sets: `retiree-service http-baseline`, an empty actix-web JSON handler with the
#          service's worker count, loaded by the same wrk script in the same run (issue 20); each ratio is taken
#          against the lower of the raw database rate and this rate (BENCH_HTTP_BASELINE_BIN: a binary with the
#          subcommand, when BENCH_BIN is an older one without it).
#   cold start: an empty SQLite database, migrations included, until /readyz answers 200 (median of 5). Target < 1 s.
#   memory: the service's peak resident set (VmHWM, reset before each scenario).
# --runs K: K rounds per backend, each round every load phase in turn (ours read, ours list, the HTTP limit, the
#   database baselines), so ours and its baselines alternate under the same machine conditions; each figure is the
#   median of its K values (rate, p50, p99 separately), the rounds are kept in the JSON.
# Writes target/bench/http.json. Never fails because a target is missed.
# --profile: perf records the whole machine during each load phase (the service, PostgreSQL and wrk) and writes
#   target/bench/profile-<backend>-<scenario>.txt: CPU by process, the service's and PostgreSQL's hottest functions
#   (self and inclusive), and on PostgreSQL the plans of the statements slower than 20 ms (auto_explain). Use a
#   binary with line tables: BENCH_BIN=... built with CARGO_PROFILE_RELEASE_DEBUG=line-tables-only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

rows=1000000 duration=15 backend=both profile=0 only=all runs=1
while (($#)); do
    case "$1" in
        --runs) runs=${2:?}; shift 2 ;; # rounds of every load phase; figures are the medians of the rounds
        --profile) profile=1; shift ;;
        --only) only=${2:?}; shift 2 ;; # read: the read-one scenario only (no list, no cold start)
        --rows) rows=${2:?}; shift 2 ;;
        --duration) duration=${2:?}; shift 2 ;;
        --backend) backend=${2:?}; shift 2 ;;
        *) echo "usage: scripts/bench-http.sh [--rows N] [--duration SECONDS] [--runs K] [--backend sqlite|postgres|both] [--only read]" >&2; exit 2 ;;
    esac
done
case "$backend" in sqlite) backends=(sqlite) ;; postgres) backends=(postgres) ;; both) backends=(sqlite postgres) ;;
    *) echo "bad --backend" >&2; exit 2 ;; esac

pg_base="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
bin=${BENCH_BIN:-target/release/retiree-service}
secret=bench-secret-bench-secret-bench-secret-0123
# Data keys (issue 21.10), fixed so every run seals alike; a binary older than 21.10 ignores them.
export DATA_KEYS=bench1:YmVuY2gtZGF0YS1rZXktYmVuY2gtZGF0YS1rZXktMDE= DATA_KEY_ID=bench1
export DATA_HASH_KEY=YmVuY2gtaGFzaC1rZXktYmVuY2gtaGFzaC1rZXktMDE=
password=bench-password-2026
conns=64
export RUST_LOG=warn PGOPTIONS='-c client_min_messages=warning'

command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
command -v sqlite3 >/dev/null || apt-get install -y -qq sqlite3 >/dev/null
command -v pgbench >/dev/null || apt-get install -y -qq postgresql-contrib >/dev/null
((profile)) && { command -v perf >/dev/null || apt-get install -y -qq linux-perf >/dev/null; }
[[ -n ${BENCH_BIN:-} ]] || cargo build --release --bin retiree-service
mkdir -p target/bench

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
login() {
    curl -fsS -X POST "$1/auth/token" -H 'Content-Type: application/json' \
        -d "{\"grant_type\":\"password\",\"username\":\"$2\",\"password\":\"$password\"}" \
        | python3 -c 'import sys, json; print(json.load(sys.stdin)["access_token"])'
}
start_service() { # $1 log; sets pid, base
    local port
    port=$(free_port)
    DB_POOL_SIZE=$conns BIND_ADDR=127.0.0.1:$port "$bin" serve >"$1" 2>&1 &
    pid=$!
    for _ in $(seq 300); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$1" >&2; exit 1; }
    base="http://127.0.0.1:$port/api/v1"
}
reset_peak() { echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || true; }
peak_mib() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status"; }

# wrk's summary as JSON: rate, p50/p99 in ms, errors.
wrk_json() {
    python3 - "$1" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
def ms(v, unit):
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
pct = {p: ms(v, u) for p, v, u in re.findall(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)}
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
errs = re.search(r"Socket errors:.*?timeout (\d+)", text)
print(json.dumps({"rate": rate, "p50_ms": pct.get("50"), "p99_ms": pct.get("99"),
                  "non_2xx": int(bad.group(1)) if bad else 0, "timeouts": int(errs.group(1)) if errs else 0}))
PY
}

# pgbench with per-transaction logs: rate and latency percentiles.
pgbench_json() { # $1 url, $2 script file
    rm -f "$tmp"/pgb.*
    pgbench -n -c "$conns" -j 2 -T "$duration" -f "$2" -l --log-prefix="$tmp/pgb" "$1" >"$tmp/pgbench.out" 2>&1
    python3 - "$tmp" <<'PY'
import glob, json, re, sys
out = open(sys.argv[1] + "/pgbench.out").read()
rate = float(re.search(r"tps = ([\d.]+)", out).group(1))
lat = []
for f in glob.glob(sys.argv[1] + "/pgb.*"):
    for line in open(f):
        parts = line.split()
        if len(parts) >= 3:
            lat.append(int(parts[2]) / 1000.0)
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else None
print(json.dumps({"rate": rate, "p50_ms": q(0.50), "p99_ms": q(0.99)}))
PY
}

# The rounds of one figure as a JSON array, and their median (each numeric field separately).
rounds() { python3 -c 'import json, sys; print(json.dumps([json.loads(l) for l in open(sys.argv[1]) if l.strip()]))' "$1"; }
median_json() {
    python3 - "$1" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
out = {}
for key in rows[0]:
    vals = [r[key] for r in rows if isinstance(r.get(key), (int, float))]
    out[key] = statistics.median(vals) if vals else rows[0][key]
print(json.dumps(out))
PY
}

# SQLite has no server: one Python process per core runs the query as fast as it can for the duration.
sqlite_json() { # $1 file, $2 "read" or "list", $3 extra (max id / community)
    python3 - "$1" "$2" "$3" "$duration" "$(nproc)" <<'PY'
import json, multiprocessing as mp, random, sqlite3, sys, time
path, kind, extra, duration, procs = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
def work(seed, q):
    db = sqlite3.connect(path)
    db.execute("PRAGMA busy_timeout = 10000")
    rnd = random.Random(seed)
    lat, end = [], time.perf_counter() + duration
    if kind == "read":
        n = int(extra)
        sql, arg = "SELECT * FROM retirees WHERE id = ?", lambda: (rnd.randint(1, n),)
    else:
        community, n = extra.split(":")
        sql = ("SELECT * FROM retirees WHERE community_code = ? AND pension_status = 'normal' AND id > ? "
               "ORDER BY id LIMIT 50")
        arg = lambda: (community, rnd.randint(0, int(n)))
    while True:
        t = time.perf_counter()
        if t > end:
            break
        db.execute(sql, arg()).fetchall()
        lat.append((time.perf_counter() - t) * 1000)
    q.put(lat)
q = mp.Queue()
ps = [mp.Process(target=work, args=(i, q)) for i in range(procs)]
[p.start() for p in ps]
lat = sorted(sum((q.get() for _ in ps), []))
[p.join() for p in ps]
pick = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
print(json.dumps({"rate": len(lat) / duration, "p50_ms": pick(0.5), "p99_ms": pick(0.99)}))
PY
}

# One load phase (wrk, 64 connections); with --profile, perf records the whole machine meanwhile.
load() { # $1 read|list; uses b, base, url
    local rec="$tmp/perf-$b-$1.data" report="target/bench/profile-$b-$1.txt"
    if ((profile)); then
        perf record -a -g -F 199 -o "$rec" -- sleep "$duration" >/dev/null 2>&1 &
        local perf_pid=$!
    fi
    local pglog_lines=0 pglog
    pglog=$(ls -t /var/log/postgresql/*.log 2>/dev/null | head -n1)
    [[ -n $pglog ]] && pglog_lines=$(wc -l <"$pglog")
    wrk -t2 -c"$conns" -d"${duration}s" --latency -s "$tmp/$1.lua" "${base%/api/v1}" >"$tmp/wrk-$1.txt"
    if ((profile)); then
        wait "$perf_pid" || true
        {
            echo "# $b $1: $(grep -h 'Requests/sec' "$tmp/wrk-$1.txt")"
            echo "## CPU by process (all CPUs, $duration s)"
            perf report -i "$rec" --no-children --sort comm --stdio -g none 2>/dev/null | grep -v "^#" | grep -v "^$" | head -n 12
            echo "## the service: hottest functions, self time"
            perf report -i "$rec" --pid "$pid" --no-children --sort symbol \
                --percent-limit 1 --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 30
            echo "## the service: inclusive time (children)"
            perf report -i "$rec" --pid "$pid" --children --sort symbol --percent-limit 5 --stdio -g none 2>/dev/null \
                | grep -v '^#' | grep -v '^$' | grep -E 'retiree|persistence|diesel|audit|argon|serde|actix|pq|sqlite' | head -n 30
            if [[ $b == postgres ]]; then
                echo "## PostgreSQL: hottest functions, self time"
                perf report -i "$rec" --comm postgres --no-children --sort symbol --percent-limit 1 --stdio -g none 2>/dev/null \
                    | grep -v '^#' | grep -v '^$' | head -n 20
                echo "## PostgreSQL: plans of statements over 20 ms (auto_explain)"
                [[ -n $pglog ]] && tail -n +"$((pglog_lines + 1))" "$pglog" | grep -A25 'duration:' | head -n 80
            fi
        } >"$report" || true # (head closes its pipe early: not a failure)
        echo "wrote $report"
    fi
}

# --- the rows, once ----------------------------------------------------------------------------------------------
as_of=$(TZ=Asia/Shanghai date +%F)
valid=$(TZ=Asia/Shanghai date -d "$as_of + 200 days" +%F)
roster="$tmp/retirees.csv" rawcsv="$tmp/raw-retirees.csv"
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
        # One in ten suspended, so the status filter of the list selects something.
        status = "suspended" if i % 10 == 7 else "normal"
        w.writerow([i, idn, row["name"], row["sex"], birth, row["retirement_date"], row["category"],
                    row["management_level"], row["community_code"], row["phone"] or None, row["address"] or None,
                    status, int(yuan) * 100 + int(cents or 0), 1 if row["party_member"] == "true" else 0,
                    row["notes"] or None, 1, stamp, stamp, valid])
PY
columns=$(head -n 1 "$rawcsv")

# --- cold start: an empty SQLite database, migrations included ---------------------------------------------------
cold=()
[[ $only == read ]] && cold=(0 0 0 0 0)
for i in 1 2 3 4 5; do
    [[ $only == read ]] && break
    port=$(free_port)
    s=$(now)
    DATABASE_URL="sqlite://$tmp/cold-$i.db" JWT_SECRET=$secret BIND_ADDR=127.0.0.1:$port "$bin" serve >/dev/null 2>&1 &
    cpid=$!
    until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
        kill -0 "$cpid" 2>/dev/null || { echo "cold start: the service exited" >&2; exit 1; }
        sleep 0.01
    done
    cold+=("$(since "$s")")
    kill "$cpid"; wait "$cpid" 2>/dev/null || true
done
cold_s=$(printf '%s\n' "${cold[@]}" | sort -n | sed -n 3p)
echo "cold start (SQLite, empty): ${cold[*]} s, median $cold_s s"

results=""
for b in "${backends[@]}"; do
    if [[ $b == sqlite ]]; then
        dbfile="$tmp/bench.db" url="sqlite://$tmp/bench.db"
    else
        db=retiree_bench_http url=$(pg_url "$db")
        dropdb --if-exists --maintenance-db="$pg_base" "$db"
        createdb --maintenance-db="$pg_base" "$db"
        pg_dbs+=("$db")
    fi
    export DATABASE_URL=$url JWT_SECRET=$secret TOKEN_TTL_SECONDS=86400
    "$bin" migrate >/dev/null
    "$bin" import-divisions resources/divisions/xiamen-3502.csv >/dev/null
    "$bin" create-admin --username bench-admin --password "$password" --jurisdiction 3502 >/dev/null
    if [[ $b == sqlite ]]; then
        sqlite3 -batch "$dbfile" ".import --csv $rawcsv raw_stage" \
            "INSERT INTO retirees ($columns) SELECT CAST(id AS INTEGER), id_number, name, sex, birth_date,
                retirement_date, category, management_level, community_code, NULLIF(phone, ''), NULLIF(address, ''),
                pension_status, CAST(monthly_pension_fen AS INTEGER), CAST(party_member AS INTEGER),
                NULLIF(notes, ''), 1, created_at, updated_at, certified_until FROM raw_stage;" \
            "DROP TABLE raw_stage;" "ANALYZE;" >/dev/null
        community=$(sqlite3 -batch "$dbfile" "SELECT community_code FROM retirees GROUP BY community_code ORDER BY count(*) DESC LIMIT 1")
    else
        psql -q -v ON_ERROR_STOP=1 "$url" -c "\\copy retirees($columns) FROM '$rawcsv' WITH (FORMAT csv, HEADER true)" \
            -c "SELECT setval(pg_get_serial_sequence('retirees', 'id'), $rows)" -c "VACUUM ANALYZE" >/dev/null
        community=$(psql -tAq "$url" -c "SELECT community_code FROM retirees GROUP BY community_code ORDER BY count(*) DESC LIMIT 1")
    fi
    # The raw load writes clear values: a binary with encryption at rest (issue 21.10) seals them, as an upgraded
    # installation would, so reads pay the opening.
    if "$bin" help encrypt-data >/dev/null 2>&1; then
        "$bin" encrypt-data >/dev/null
    fi
    echo "$b: $rows retirees loaded; the list scenario pages through community $community"

    if ((profile)) && [[ $b == postgres ]]; then # plans of slow statements into the server log, for the report
        psql -q "$url" -c "ALTER DATABASE $db SET session_preload_libraries = 'auto_explain'" \
            -c "ALTER DATABASE $db SET auto_explain.log_min_duration = 20" \
            -c "ALTER DATABASE $db SET auto_explain.log_analyze = on" >/dev/null
    fi
    start_service "$tmp/serve-$b.log"
    token=$(login "$base" bench-admin)
    curl -fsS -o /dev/null -X POST "$base/users" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        -d "{\"username\":\"bench-city\",\"password\":\"$password\",\"display_name\":\"基准市中心\",
             \"role\":\"city_centre\",\"jurisdiction\":\"3502\"}"
    token=$(login "$base" bench-city)
    export TOKEN=$token ROWS=$rows COMMUNITY=$community

    cat >"$tmp/read.lua" <<'LUA'
local token, n = os.getenv("TOKEN"), tonumber(os.getenv("ROWS"))
local counter = 0
function setup(thread) counter = counter + 1; thread:set("seed", counter) end
function init() math.randomseed(os.time() * 1000 + seed) end
function request()
    return wrk.format("GET", "/api/v1/retirees/" .. math.random(1, n), { ["Authorization"] = "Bearer " .. token })
end
LUA
    cat >"$tmp/list.lua" <<'LUA'
local token, community = os.getenv("TOKEN"), os.getenv("COMMUNITY")
local first = "/api/v1/retirees?jurisdiction=" .. community .. "&pension_status=normal&limit=50"
local path = first
function request() return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token }) end
function response(status, headers, body)
    local cursor = body and body:match('"next_cursor":"([^"]+)"')
    if cursor then path = first .. "&cursor=" .. cursor else path = first end
end
LUA
    : >"$tmp/rounds-read" ; : >"$tmp/rounds-list" ; : >"$tmp/rounds-http" ; : >"$tmp/rounds-read-base" ; : >"$tmp/rounds-list-base"
    for round in $(seq "$runs"); do
        ((round == 1)) || start_service "$tmp/serve-$b-$round.log"
        reset_peak
        load read
        read_ours=$(wrk_json "$tmp/wrk-read.txt") read_mib=$(peak_mib)
        list_ours='{"rate":0}' list_mib=0
        if [[ $only != read ]]; then
            reset_peak
            load list
            list_ours=$(wrk_json "$tmp/wrk-list.txt") list_mib=$(peak_mib)
        fi
        kill "$pid"; wait "$pid" 2>/dev/null || true
        pid=""

        # The HTTP limit: an empty actix-web JSON handler, the same wrk script (same request), right after.
        port=$(free_port)
        BIND_ADDR=127.0.0.1:$port "${BENCH_HTTP_BASELINE_BIN:-$bin}" http-baseline >"$tmp/http-baseline.log" 2>&1 &
        pid=$!
        for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.1; done
        wrk -t2 -c"$conns" -d"${duration}s" --latency -s "$tmp/read.lua" "http://127.0.0.1:$port" >"$tmp/wrk-http.txt"
        http_base=$(wrk_json "$tmp/wrk-http.txt")
        kill "$pid"; wait "$pid" 2>/dev/null || true
        pid=""

        if [[ $b == sqlite ]]; then
            read_base=$(sqlite_json "$dbfile" read "$rows")
            list_base='{"rate":0}'
            [[ $only == read ]] || list_base=$(sqlite_json "$dbfile" list "$community:$rows")
        else
            printf '\\set id random(1, %s)\nSELECT * FROM retirees WHERE id = :id;\n' "$rows" >"$tmp/read.sql"
            printf "\\\\set after random(0, %s)\nSELECT * FROM retirees WHERE community_code = '%s' AND pension_status = 'normal' AND id > :after ORDER BY id LIMIT 50;\n" \
                "$rows" "$community" >"$tmp/list.sql"
            read_base=$(pgbench_json "$url" "$tmp/read.sql")
            list_base='{"rate":0}'
            [[ $only == read ]] || list_base=$(pgbench_json "$url" "$tmp/list.sql")
        fi
        echo "$read_ours" >>"$tmp/rounds-read"; echo "$list_ours" >>"$tmp/rounds-list"; echo "$http_base" >>"$tmp/rounds-http"
        echo "$read_base" >>"$tmp/rounds-read-base"; echo "$list_base" >>"$tmp/rounds-list-base"
        echo "$b round $round of $runs: read $read_ours; list $list_ours; http $http_base; db read $read_base; db list $list_base"
    done
    read_rounds=$(rounds "$tmp/rounds-read") list_rounds=$(rounds "$tmp/rounds-list") http_rounds=$(rounds "$tmp/rounds-http")
    read_base_rounds=$(rounds "$tmp/rounds-read-base") list_base_rounds=$(rounds "$tmp/rounds-list-base")
    read_ours=$(median_json "$tmp/rounds-read") list_ours=$(median_json "$tmp/rounds-list") http_base=$(median_json "$tmp/rounds-http")
    read_base=$(median_json "$tmp/rounds-read-base") list_base=$(median_json "$tmp/rounds-list-base")
    # Ratios against the lower of the database's raw rate and the HTTP limit.
    ratio() { python3 -c 'import json, sys; o, d, h = (json.loads(a)["rate"] for a in sys.argv[1:]); l = min(d, h); print(json.dumps({"limit": l, "ratio": round(o / l, 4) if l else None}))' "$@"; }
    read_ratio=$(ratio "$read_ours" "$read_base" "$http_base")
    list_ratio=$(ratio "$list_ours" "$list_base" "$http_base")
    echo "$b http baseline (empty actix-web JSON handler): $http_base"
    echo "$b read: ours $read_ours, baseline $read_base, against min(db, http): $read_ratio, peak ${read_mib} MiB"
    [[ $only == read ]] || echo "$b list: ours $list_ours, baseline $list_base, against min(db, http): $list_ratio, peak ${list_mib} MiB"
    results+="{\"backend\":\"$b\",\"runs\":$runs,\"http_baseline\":$http_base,"
    results+="\"rounds\":{\"read\":$read_rounds,\"list\":$list_rounds,\"http\":$http_rounds,\"read_baseline\":$read_base_rounds,\"list_baseline\":$list_base_rounds},"
    results+="\"read\":{\"ours\":$read_ours,\"baseline\":$read_base,\"against\":$read_ratio,\"peak_mib\":$read_mib},"
    results+="\"list\":{\"ours\":$list_ours,\"baseline\":$list_base,\"against\":$list_ratio,\"peak_mib\":$list_mib}},"
done

python3 -c 'import json, sys; json.dump(json.loads(sys.argv[1]), sys.stdout, indent=2); print()' \
    "{\"rows\":$rows,\"duration_s\":$duration,\"runs\":$runs,\"connections\":$conns,\"cold_start_s\":$cold_s,
      \"cold_start_runs\":[$(IFS=,; echo "${cold[*]}")],\"results\":[${results%,}]}" >target/bench/http.json
echo "wrote target/bench/http.json"
