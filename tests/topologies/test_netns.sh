#!/usr/bin/env bash
# test_netns.sh BUILD_DIR - samples/topologies/netns.sh: three machines on
# one host
#
# Skipped (exit 77) unless root with working network namespaces and
# bridges. A broker, two nodes and a client, each in a namespace named
# with a prefix unique to this run: up; every process runs in its own
# namespace; param_server (and the other built samples) run in the client
# namespace through 'netns.sh run'; down leaves no namespace with the
# prefix and no process. Then an up that fails midway must undo
# everything, and down must still be harmless.

set -eu
TEST=topo_netns
. "$(dirname "$0")/testlib.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP $TEST: needs root"; exit 77; }
command -v ip > /dev/null 2>&1 || { echo "SKIP $TEST: no ip command"; exit 77; }
ip netns list > /dev/null 2>&1 || { echo "SKIP $TEST: ip netns does not work here"; exit 77; }

#   Unique per run, short, so that copies in parallel never meet
PREFIX=zt$$x$((RANDOM % 1000))
PROBE=$PREFIX-probe
RUN=$WORK/run
BAD_RUN=$WORK/run-bad

our_namespaces () {
    ip netns list 2>/dev/null | awk '{ print $1 }' | grep "^$PREFIX-" || true
}

test_cleanup () {
    if [ "$1" -ne 0 ] && [ "$1" -ne 77 ]; then
        show_logs "$RUN"
        show_logs "$BAD_RUN"
    fi
    local dir ns pid
    for dir in "$RUN" "$BAD_RUN"; do
        [ -d "$dir" ] || continue
        timeout 60 "$TOPO/netns.sh" down --run-dir "$dir" > /dev/null 2>&1 || true
        kill_records "$dir"
    done
    kill_records "$WORK/saved"
    #   Last resort: nothing with our prefix may outlive the test
    for ns in $(our_namespaces); do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null || true
        done
        echo "$TEST: cleanup deletes leftover namespace $ns" >&2
        ip netns del "$ns" 2>/dev/null || true
    done
}

#   The kernel must allow a bridge in a namespace
if ! { ip netns add "$PROBE" && ip -n "$PROBE" link add br0 type bridge; } > /dev/null 2>&1; then
    ip netns del "$PROBE" > /dev/null 2>&1 || true
    echo "SKIP $TEST: cannot create a namespace with a bridge here"
    exit 77
fi
ip netns del "$PROBE"

step "write the topology"
MODULES=$(sample_modules)
cat > "$WORK/three.topo" <<EOF
# written by $TEST
name    three
path    $BUILD
broker  tcp://10.77.0.1:0
node    alpha  host=10.77.0.11  cpus=2  modules=$MODULES
node    beta                    cpus=2  modules=$MODULES   # netns.sh picks 10.77.0.12
client  host=10.77.0.254
EOF

step "netns.sh up"
OUT=$(timeout 90 "$TOPO/netns.sh" up --run-dir "$RUN" --prefix "$PREFIX" "$WORK/three.topo") \
    || fail "up failed (exit $?)"
echo "$OUT"
EP=$(sed -n 's/^export ZAF_ADDRESS=//p' <<< "$OUT")
[[ $EP =~ ^tcp://10\.77\.0\.1:[0-9]+$ ]] && [ "${EP##*:}" != 0 ] \
    || fail "up printed no ZAF_ADDRESS=tcp://10.77.0.1:PORT line with the real port"
save_records "$RUN" "$WORK/saved"
grep -q "CURVE on" "$RUN/broker.log" || fail "the broker does not run with keys"
for ns in hub broker alpha beta client; do
    our_namespaces | grep -qx "$PREFIX-$ns" || fail "no namespace $PREFIX-$ns"
done
for name in broker alpha beta; do
    record=$RUN/node-$name.pid
    [ "$name" != broker ] || record=$RUN/broker.pid
    read -r pid start < "$record"
    running "$pid" "$start" || fail "$name (pid $pid) is not running"
    where=$(ip netns identify "$pid")
    [ "$where" = "$PREFIX-$name" ] || fail "$name runs in namespace '$where', not $PREFIX-$name"
done
ADDRS=$(ip -n "$PREFIX-beta" -4 -o addr show dev eth0)
grep -q "10.77.0.12/24" <<< "$ADDRS" || fail "beta did not get 10.77.0.12: $ADDRS"
ip -n "$PREFIX-client" -o link show lo | grep -q "UP" || fail "loopback is down in $PREFIX-client"
STATUS=$("$TOPO/netns.sh" status --run-dir "$RUN" --prefix "$PREFIX" "$WORK/three.topo") \
    || fail "status exited $? with everything up: $STATUS"

step "a driver without keys is refused in the client namespace"
if OUT=$(timeout 60 "$TOPO/netns.sh" run --run-dir "$RUN" "$WORK/three.topo" -- \
         env ZAF_KEY_DIR="$WORK/no-keys" param_server --address "$EP" --updates 1 --polls 1 2>&1); then
    fail "param_server without keys ran: $OUT"
fi
grep -q "requires keys" <<< "$OUT" || fail "the refusal did not name the cause: $OUT"

step "param_server in the client namespace (CURVE)"
OUT=$(timeout 120 "$TOPO/netns.sh" run --run-dir "$RUN" "$WORK/three.topo" -- \
      param_server --address "$EP" --updates 3 --interval-ms 20 --polls 2 2>&1) \
    || fail "param_server exited $?: $OUT"
echo "$OUT"
expect_params "$OUT" 9
grep -q "2 node(s)" <<< "$OUT" || fail "param_server did not see 2 nodes"
WHERE=$("$TOPO/netns.sh" run --run-dir "$RUN" "$WORK/three.topo" -- sh -c 'ip -4 -o addr show dev eth0; echo "address=$ZAF_ADDRESS"')
grep -q "10.77.0.254/24" <<< "$WHERE" || fail "run did not run in the client namespace: $WHERE"
grep -q "address=$EP" <<< "$WHERE" || fail "run did not set ZAF_ADDRESS: $WHERE"

for sample in $(extra_samples); do
    step "$sample in the client namespace"
    OUT=$(timeout 120 "$TOPO/netns.sh" run --run-dir "$RUN" "$WORK/three.topo" -- "$sample" --address "$EP" $(sample_args "$sample") 2>&1) \
        || fail "$sample exited $?: $OUT"
    echo "$OUT" | tail -n 5
done

step "netns.sh down"
timeout 90 "$TOPO/netns.sh" down --run-dir "$RUN" "$WORK/three.topo" || fail "down failed (exit $?)"
LEFT=$(our_namespaces)
[ -z "$LEFT" ] || fail "namespaces left after down: $LEFT"
assert_records_dead "$WORK/saved"
ls "$RUN"/*.pid > /dev/null 2>&1 && fail "pid files left after down: $(ls "$RUN"/*.pid)"
timeout 30 "$TOPO/netns.sh" down --run-dir "$RUN" "$WORK/three.topo" || fail "a second down failed (exit $?)"
timeout 30 "$TOPO/netns.sh" down --run-dir "$RUN" || fail "down with only --run-dir failed (exit $?)"

step "an up that fails midway undoes everything"
cat > "$WORK/bad.topo" <<EOF
name    bad
path    $BUILD
broker  10.77.0.1 0
node    good  modules=libparam_server.so
node    bad   modules=libzaf.so    # a library, not a module: zaf-node exits
EOF
rc=0; OUT=$(timeout 90 "$TOPO/netns.sh" up --run-dir "$BAD_RUN" --prefix "$PREFIX" "$WORK/bad.topo" 2>&1) || rc=$?
echo "$OUT"
[ $rc -ne 0 ] || fail "up with a broken module succeeded"
grep -q "node bad exited before it registered" <<< "$OUT" || fail "up did not say which node failed"
LEFT=$(our_namespaces)
[ -z "$LEFT" ] || fail "namespaces left after a failed up: $LEFT"
ls "$BAD_RUN"/*.pid > /dev/null 2>&1 && fail "pid files left after a failed up: $(ls "$BAD_RUN"/*.pid)"
timeout 30 "$TOPO/netns.sh" down --run-dir "$BAD_RUN" "$WORK/bad.topo" || fail "down after a failed up failed"

step "bad addresses are refused before anything is created"
printf 'broker tcp://127.0.0.1:0\nnode a\n' > "$WORK/loop.topo"
rc=0; OUT=$("$TOPO/netns.sh" up --run-dir "$WORK/x" --prefix "$PREFIX" "$WORK/loop.topo" 2>&1) || rc=$?
[ $rc -ne 0 ] && grep -q "loopback" <<< "$OUT" || fail "a loopback broker was not refused: $OUT"
printf 'broker tcp://10.77.0.1:0\nnode a host=10.78.0.2\n' > "$WORK/subnet.topo"
rc=0; OUT=$("$TOPO/netns.sh" up --run-dir "$WORK/x" --prefix "$PREFIX" "$WORK/subnet.topo" 2>&1) || rc=$?
[ $rc -ne 0 ] && grep -q "outside the broker's 10.77.0.0/24" <<< "$OUT" || fail "a node outside the /24 was not refused: $OUT"
LEFT=$(our_namespaces)
[ -z "$LEFT" ] || fail "namespaces left after refused ups: $LEFT"
