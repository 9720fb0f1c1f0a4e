# testlib.sh - shared by the topology script tests (sourced, not run)
#
# Sets BUILD (the build dir, $1 of the test), TOPO (samples/topologies),
# WORK (a scratch dir, removed at exit); gives check/fail helpers and
# pid checks. The test sets TEST before sourcing and may define
# test_cleanup, which runs at exit, failure or not.

BUILD=${1:-}
[ -n "$BUILD" ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
[ -d "$BUILD" ] || { echo "$TEST: no build dir '$BUILD'" >&2; exit 2; }
BUILD=$(cd "$BUILD" && pwd -P)
TOPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../samples/topologies" && pwd -P)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/zaf-$TEST.XXXXXX")
#   The scripts must not wait 15 s for a process that ignores SIGTERM in a
#   test, nor pick a run dir outside WORK
export ZAF_STOP_TIMEOUT=${ZAF_STOP_TIMEOUT:-10}
export ZAF_UP_TIMEOUT=${ZAF_UP_TIMEOUT:-30}
unset ZAF_PREFIX XDG_RUNTIME_DIR

STEP="start"
step () {
    STEP=$*
    echo "== $TEST: $*"
}

fail () {
    echo "FAIL $TEST ($STEP): $*" >&2
    exit 1
}

#   show_logs DIR: print every log in DIR (on failure)
show_logs () {
    local file
    for file in "$1"/*.log "$1"/*.out; do
        [ -f "$file" ] || continue
        echo "---- $file" >&2
        tail -n 40 "$file" >&2
    done
}

testlib_exit () {
    local rc=$?
    trap - EXIT
    set +e
    kill "$WATCHDOG" 2>/dev/null
    if declare -F test_cleanup > /dev/null; then
        test_cleanup $rc
    fi
    if [ $rc -eq 0 ]; then
        echo "PASS $TEST"
    elif [ $rc -eq 77 ]; then
        echo "SKIP $TEST"
    else
        echo "FAIL $TEST (exit $rc); scratch files were in $WORK" >&2
    fi
    rm -rf "$WORK"
    exit $rc
}
trap testlib_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

#   A watchdog ends the test with SIGTERM (so that the cleanup runs) well
#   before ctest's TIMEOUT would kill it outright and strand the daemons:
#   every step is bounded by 'timeout' far below the difference
TEST_DEADLINE=${TEST_DEADLINE:-400}
( trap - EXIT INT TERM HUP
  i=0
  #   Counting the deadline down, one second at a time: the sleep is
  #   the watchdog's clock, not a wait for something
  while [ $i -lt "$TEST_DEADLINE" ]; do sleep 1 > /dev/null 2>&1; i=$((i + 1)); done
  echo "$TEST: still running after $TEST_DEADLINE s; stopping it" >&2
  kill -TERM $$ ) < /dev/null > /dev/null &
WATCHDOG=$!

#   running PID [STARTTIME]: the process runs (a zombie does not) and, with
#   STARTTIME, is the one that was recorded
running () {
    local stat rest fields
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    rest=${stat##*) }
    read -r -a fields <<< "$rest"
    case ${fields[0]} in Z|X|x) return 1 ;; esac
    [ -z "${2:-}" ] || [ "${2:-}" = - ] || [ "${fields[19]}" = "$2" ]
}

#   save_records DIR DEST: copy the pid records of DIR to DEST, to check
#   after 'down' that they are gone
save_records () {
    mkdir -p "$2"
    cp "$1"/*.pid "$2"/ 2>/dev/null || true
}

#   assert_records_dead DIR: no process recorded in DIR/*.pid runs
assert_records_dead () {
    local file pid start alive=
    for file in "$1"/*.pid; do
        [ -f "$file" ] || continue
        read -r pid start < "$file"
        if running "$pid" "$start"; then alive="$alive $(basename "$file"):$pid"; fi
    done
    [ -z "$alive" ] || fail "still running:$alive"
}

#   kill_records DIR: SIGKILL whatever DIR/*.pid records (cleanup of last
#   resort, when the script under test failed to stop them)
kill_records () {
    local file pid start
    for file in "$1"/*.pid; do
        [ -f "$file" ] || continue
        read -r pid start < "$file" || continue
        if running "$pid" "$start"; then
            echo "$TEST: cleanup kills leftover pid $pid ($(basename "$file"))" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
}

#   expect_params OUTPUT N: the param_server output ends with final params
#   of -N each
expect_params () {
    grep -q "^Final params: \[-$2\. -$2\. " <<< "$1" \
        || fail "param_server did not end with params of -$2: $1"
}

#   The samples every topology test runs: each must be built and succeed
#   (OPTIONAL_SAMPLES run only if built)
REQUIRED_SAMPLES="param_server message_actor tree_of_actors"
OPTIONAL_SAMPLES="market_feed"

#   sample_modules: the modules of the built samples, comma-separated
sample_modules () {
    local sample list=
    for sample in $REQUIRED_SAMPLES; do
        [ -f "$BUILD/lib/lib$sample.so" ] || fail "no $BUILD/lib/lib$sample.so: build zaf first"
        list=${list:+$list,}lib$sample.so
    done
    for sample in $OPTIONAL_SAMPLES; do
        [ -f "$BUILD/lib/lib$sample.so" ] && list=${list:+$list,}lib$sample.so
    done
    printf '%s\n' "$list"
}

#   sample_args SAMPLE: quick flags for a sample's driver (beside --address)
sample_args () {
    case $1 in
    message_actor)  echo "--messages 5 --interval-ms 20 --poll-ms 50" ;;
    tree_of_actors) echo "--duration-ms 600 --poll-ms 100" ;;
    market_feed)    # nodes in namespaces of their own reach the feed by address
                    if [ "$TEST" = topo_netns ]; then
                        echo "--rounds 2 --poll-ms 200 --interval-ms 10 --feed-bind auto"
                    else
                        echo "--rounds 2 --poll-ms 200 --interval-ms 10"
                    fi ;;
    *)              echo "" ;;
    esac
}

#   extra_samples: the samples besides param_server to run: every required
#   one (missing: the test fails), and the optional ones that are built.
#   Each driver checks its own output and exits non-zero if it is wrong.
extra_samples () {
    local sample
    for sample in $REQUIRED_SAMPLES; do
        [ "$sample" = param_server ] && continue
        [ -x "$BUILD/bin/$sample" ] || fail "no $BUILD/bin/$sample: build zaf first"
        echo "$sample"
    done
    for sample in $OPTIONAL_SAMPLES; do
        [ -x "$BUILD/bin/$sample" ] && [ -f "$BUILD/lib/lib$sample.so" ] && echo "$sample"
    done
    return 0
}
