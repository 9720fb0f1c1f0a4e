#!/usr/bin/env bash
# test_local.sh BUILD_DIR - samples/topologies/local.sh on 127.0.0.1
#
# A topology with its broker on port 0 and two nodes: up prints the real
# address; param_server (and the other samples that are built) run against
# it; status sees every process; a second up is refused; down stops every
# recorded pid and removes the pid files; down again is harmless. Then an
# up that fails midway (a node whose module has no zaf_module_init) must
# stop the broker it started.

set -eu
TEST=topo_local
. "$(dirname "$0")/testlib.sh"

RUN=$WORK/run
test_cleanup () {
    if [ "$1" -ne 0 ]; then
        show_logs "$RUN"
        show_logs "$WORK/run-bad"
    fi
    local dir
    for dir in "$RUN" "$WORK/run-bad"; do
        [ -d "$dir" ] || continue
        timeout 60 "$TOPO/local.sh" down --run-dir "$dir" > /dev/null 2>&1 || true
        kill_records "$dir"
    done
    kill_records "$WORK/saved"
}

step "write the topology"
MODULES=$(sample_modules)
cat > "$WORK/two.topo" <<EOF
# written by $TEST
name    two
path    $BUILD
broker  tcp://127.0.0.1:0          # the system picks the port
node    alpha  host=127.0.0.1  cpus=2  modules=$MODULES
node    beta   host=127.0.0.1  cpus=2  modules=$MODULES
EOF

step "local.sh up"
OUT=$(timeout 90 "$TOPO/local.sh" up --run-dir "$RUN" "$WORK/two.topo") || fail "up failed (exit $?)"
echo "$OUT"
EP=$(sed -n 's/^export ZAF_ADDRESS=//p' <<< "$OUT")
[[ $EP =~ ^tcp://127\.0\.0\.1:[0-9]+$ ]] || fail "up printed no ZAF_ADDRESS=tcp://127.0.0.1:PORT line"
[ "${EP##*:}" != 0 ] || fail "up printed port 0, not the port the broker got"
eval "$(grep '^export ZAF_KEY_DIR=' <<< "$OUT")"
[ -f "${ZAF_KEY_DIR:-}/driver.cert_secret" ] || fail "up printed no ZAF_KEY_DIR with the drivers' key"
grep -q "CURVE on" "$RUN/broker.log" || fail "the broker does not run with keys"
[ "$(cat "$RUN/address")" = "$EP" ] || fail "run dir address '$(cat "$RUN/address")' is not $EP"
for name in broker node-alpha node-beta; do
    [ -f "$RUN/$name.pid" ] || fail "no $RUN/$name.pid"
    read -r pid start < "$RUN/$name.pid"
    running "$pid" "$start" || fail "$name (pid $pid) is not running"
done
grep -q "node joined name=alpha " "$RUN/broker.log" || fail "the broker did not log alpha joining"
grep -q "node joined name=beta " "$RUN/broker.log" || fail "the broker did not log beta joining"
save_records "$RUN" "$WORK/saved"

step "local.sh status"
STATUS=$("$TOPO/local.sh" status --run-dir "$RUN") || fail "status exited $? with everything up: $STATUS"
echo "$STATUS"
for name in broker "node alpha" "node beta"; do
    grep -Eq "^$name +pid [0-9]+ +running" <<< "$STATUS" || fail "status does not show $name running"
done

step "a second up is refused"
if OUT2=$("$TOPO/local.sh" up --run-dir "$RUN" "$WORK/two.topo" 2>&1); then
    fail "a second up succeeded: $OUT2"
fi
grep -q "already running" <<< "$OUT2" || fail "a second up failed without saying why: $OUT2"
for file in "$WORK/saved"/*.pid; do
    read -r pid start < "$file"
    running "$pid" "$start" || fail "the refused up disturbed $(basename "$file")"
done

step "a driver without keys is refused"
if OUT=$(ZAF_KEY_DIR=$WORK/no-keys timeout 60 "$BUILD/bin/param_server" --address "$EP" --updates 1 --polls 1 2>&1); then
    fail "param_server without keys ran: $OUT"
fi
grep -q "requires keys" <<< "$OUT" || fail "the refusal did not name the cause: $OUT"

step "param_server against the cluster"
OUT=$(timeout 120 "$BUILD/bin/param_server" --address "$EP" --updates 3 --interval-ms 20 --polls 2 2>&1) \
    || fail "param_server exited $?: $OUT"
echo "$OUT"
expect_params "$OUT" 9
grep -q "2 node(s)" <<< "$OUT" || fail "param_server did not see 2 nodes"

for sample in $(extra_samples); do
    step "$sample against the cluster"
    OUT=$(timeout 120 "$BUILD/bin/$sample" --address "$EP" $(sample_args "$sample") 2>&1) || fail "$sample exited $?: $OUT"
    echo "$OUT" | tail -n 5
done

step "local.sh down"
timeout 90 "$TOPO/local.sh" down --run-dir "$RUN" || fail "down failed (exit $?)"
assert_records_dead "$WORK/saved"
ls "$RUN"/*.pid > /dev/null 2>&1 && fail "pid files left after down: $(ls "$RUN"/*.pid)"
[ ! -e "$RUN/address" ] || fail "down left the address file"
grep -q "node left name=alpha " "$RUN/broker.log" || fail "alpha did not say BYE to the broker"

step "down again, and status, after down"
timeout 30 "$TOPO/local.sh" down --run-dir "$RUN" || fail "a second down failed (exit $?)"
rc=0; "$TOPO/local.sh" status --run-dir "$RUN" > /dev/null || rc=$?
[ $rc -eq 3 ] || fail "status after down exited $rc, not 3"

step "an up that fails midway stops what it started"
cat > "$WORK/bad.topo" <<EOF
name    bad
path    $BUILD
broker  tcp://127.0.0.1:0
node    good  modules=libparam_server.so
node    bad   modules=libzaf.so    # a library, not a module: zaf-node exits
EOF
rc=0; OUT=$(timeout 90 "$TOPO/local.sh" up --run-dir "$WORK/run-bad" "$WORK/bad.topo" 2>&1) || rc=$?
echo "$OUT"
[ $rc -ne 0 ] || fail "up with a broken module succeeded"
grep -q "node bad exited before it registered" <<< "$OUT" || fail "up did not say which node failed"
grep -q "stopping broker" <<< "$OUT" || fail "up did not stop the broker it started"
ls "$WORK/run-bad"/*.pid > /dev/null 2>&1 && fail "pid files left after a failed up: $(ls "$WORK/run-bad"/*.pid)"
grep -q "zaf-node: stopping" "$WORK/run-bad/node-good.log" || fail "node good was not stopped cleanly"

step "usage errors"
rc=0; "$TOPO/local.sh" up 2>/dev/null || rc=$?
[ $rc -ne 0 ] || fail "up without a file succeeded"
rc=0; "$TOPO/local.sh" up --run-dir "$WORK/x" "$WORK/none.topo" 2>/dev/null || rc=$?
[ $rc -ne 0 ] || fail "up with a missing file succeeded"
printf 'broker tcp://127.0.0.1:0\nnode a cpu=2\n' > "$WORK/typo.topo"
rc=0; OUT=$("$TOPO/local.sh" up --run-dir "$WORK/x" "$WORK/typo.topo" 2>&1) || rc=$?
[ $rc -ne 0 ] && grep -q "typo.topo:2: unknown node key 'cpu'" <<< "$OUT" || fail "a typo was not reported with its line: $OUT"
"$TOPO/local.sh" --help | grep -q "^Usage: local.sh up" || fail "--help"
