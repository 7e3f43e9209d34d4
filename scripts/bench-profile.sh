# Sourced by the bench scripts: with BENCH_PROFILE=1, `profile_start NAME` records the whole machine with perf
# (call graphs, 199 Hz) until `profile_stop PID`, which writes target/bench/profile-NAME.txt: CPU by thread, the
# hottest functions of process PID (self, then inclusive) and PostgreSQL's. Without BENCH_PROFILE both do nothing.
# Use a binary with line tables: BENCH_BIN=… built with CARGO_PROFILE_RELEASE_DEBUG=line-tables-only.
profile_name="" profile_pid="" profile_data=""
profile_start() {
    [[ ${BENCH_PROFILE:-0} == 1 ]] || return 0
    command -v perf >/dev/null || apt-get install -y -qq linux-perf >/dev/null
    profile_name=$1 profile_data=$(mktemp)
    perf record -a -g -F 199 -o "$profile_data" >/dev/null 2>&1 &
    profile_pid=$!
    sleep 0.5
}
profile_stop() { # $1: the service's pid
    [[ -n $profile_pid ]] || return 0
    kill -INT "$profile_pid" 2>/dev/null
    wait "$profile_pid" 2>/dev/null || true # perf exits 130 on SIGINT
    local report="target/bench/profile-$profile_name.txt"
    mkdir -p target/bench
    {
        echo "# $profile_name"
        echo "## CPU by thread (all CPUs)"
        perf report -i "$profile_data" --no-children --sort comm --stdio -g none 2>/dev/null | grep -v "^#" | grep -v "^$" | head -n 12
        echo "## the service: hottest functions, self time"
        perf report -i "$profile_data" --pid "$1" --no-children --sort symbol --percent-limit 1 --stdio -g none 2>/dev/null \
            | grep -v "^#" | grep -v "^$" | head -n 30
        echo "## the service: inclusive time (children)"
        perf report -i "$profile_data" --pid "$1" --children --sort symbol --percent-limit 4 --stdio -g none 2>/dev/null \
            | grep -v "^#" | grep -v "^$" | head -n 40
        echo "## PostgreSQL: hottest functions, self time"
        perf report -i "$profile_data" --comm postgres --no-children --sort symbol --percent-limit 1 --stdio -g none 2>/dev/null \
            | grep -v "^#" | grep -v "^$" | head -n 25
    } >"$report" || true
    rm -f "$profile_data"
    profile_pid=""
    echo "wrote $report"
}
