#!/usr/bin/env bash
# test_ssh_loopback.sh BUILD_DIR - samples/topologies/ssh.sh for real,
# with ZAF_SSH set to a stand-in for ssh that runs the remote command on
# this machine (there is no sshd here)
#
# up on 127.0.0.1 port 0 (ssh.sh reads the port back from the remote
# broker's output), secured: the keys written in the run dir, copied to the
# "hosts" through the ssh stand-in, the broker with --keys and the nodes
# with their own keys; param_server with the printed ZAF_KEY_DIR works and
# without keys is refused; status; down stops every remote pid and forgets
# them; down again is harmless.

set -eu
TEST=topo_ssh_loopback
. "$(dirname "$0")/testlib.sh"

RUN=$WORK/run
REMOTE=$WORK/remote
test_cleanup () {
    if [ "$1" -ne 0 ]; then
        show_logs "$REMOTE"
    fi
    [ -d "$RUN" ] && timeout 60 "$TOPO/ssh.sh" down --run-dir "$RUN" --remote-dir "$REMOTE" "$WORK/loop.topo" > /dev/null 2>&1
    [ -d "$WORK/run-bad" ] && timeout 60 "$TOPO/ssh.sh" down --run-dir "$WORK/run-bad" "$WORK/bad.topo" > /dev/null 2>&1
    #   The remote side wrote its own pid files: kill what they name
    local file pid
    for file in "$REMOTE"/*.pid; do
        [ -f "$file" ] || continue
        read -r pid < "$file" || continue
        if running "$pid" && grep -q zaf "/proc/$pid/comm" 2>/dev/null; then
            echo "$TEST: cleanup kills leftover pid $pid" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
}

#   ssh stand-in: skip the options (and -o's value), drop the destination,
#   run the command with sh, as sshd does with the login shell
cat > "$WORK/fake-ssh" <<EOF
#!/bin/sh
while [ \$# -gt 0 ]; do
    case \$1 in -o|-p|-i|-l) shift 2 ;; -*) shift ;; *) break ;; esac
done
echo "\$1" >> "$WORK/destinations"
shift
exec sh -c "\$*"
EOF
chmod +x "$WORK/fake-ssh"
export ZAF_SSH="$WORK/fake-ssh -o BatchMode=yes"

step "write the topology"
MODULES=$(sample_modules)
cat > "$WORK/loop.topo" <<EOF
name    loop
path    $BUILD
broker  tcp://127.0.0.1:0  bind=tcp://127.0.0.1:0
node    alpha  host=127.0.0.1  cpus=2  modules=$MODULES
node    beta   host=localhost  cpus=2  modules=$MODULES   ssh=me@localhost
EOF

step "ssh.sh up"
OUT=$(timeout 90 "$TOPO/ssh.sh" up --run-dir "$RUN" --remote-dir "$REMOTE" "$WORK/loop.topo") \
    || fail "up failed (exit $?)"
echo "$OUT"
EP=$(sed -n 's/^export ZAF_ADDRESS=//p' <<< "$OUT")
[[ $EP =~ ^tcp://127\.0\.0\.1:[0-9]+$ ]] && [ "${EP##*:}" != 0 ] || fail "no ZAF_ADDRESS line with the real port"
KEYS=$(sed -n 's/^export ZAF_KEY_DIR=//p' <<< "$OUT")
[ "$KEYS" = "$(cd "$RUN" && pwd -P)/keys" ] || fail "no export ZAF_KEY_DIR=RUN/keys line: $OUT"
grep -qx "me@localhost" "$WORK/destinations" || fail "ssh= was not used as the destination"
for name in broker node-alpha node-beta; do
    [ -f "$RUN/$name.remote" ] || fail "no record $RUN/$name.remote"
    read -r dest pid < "$RUN/$name.remote"
    running "$pid" || fail "$name (pid $pid) is not running"
    [ "$(cat "$REMOTE/$name.pid")" = "$pid" ] || fail "the remote pid file of $name disagrees"
    echo "$pid" >> "$WORK/pids"
done

step "the keys"
for key in broker admin driver node-alpha node-beta; do
    [ -f "$KEYS/$key.cert" ] && [ -f "$KEYS/$key.cert_secret" ] || fail "no key $key in $KEYS"
done
for key in broker.cert_secret broker.cert admin.cert driver.cert node-alpha.cert node-beta.cert \
           node-alpha.cert_secret node-beta.cert_secret; do
    cmp -s "$KEYS/$key" "$REMOTE/keys/$key" || fail "$key was not copied to the remote key dir"
    [ "$(stat -c %a "$REMOTE/keys/$key")" = 600 ] || fail "the remote $key is not private"
done
[ "$(stat -c %a "$REMOTE/keys")" = 700 ] || fail "the remote key dir is not private"
[ ! -e "$REMOTE/keys/admin.cert_secret" ] && [ ! -e "$REMOTE/keys/driver.cert_secret" ] \
    || fail "a driver's or admin's secret key went to a host"
ARGV=$(tr '\0' ' ' < "/proc/$(cat "$REMOTE/broker.pid")/cmdline")
grep -qF -- "--keys $REMOTE/keys" <<< "$ARGV" || fail "the broker does not run with --keys: $ARGV"
! grep -qF -- "--insecure" <<< "$ARGV" || fail "the broker runs --insecure: $ARGV"

step "ssh.sh status"
STATUS=$("$TOPO/ssh.sh" status --run-dir "$RUN" --remote-dir "$REMOTE" "$WORK/loop.topo") \
    || fail "status exited $?: $STATUS"
echo "$STATUS"
[ "$(grep -c ' running$' <<< "$STATUS")" -eq 3 ] || fail "status does not show 3 running"
grep -qx "ZAF_KEY_DIR=$KEYS" <<< "$STATUS" || fail "status does not show ZAF_KEY_DIR"

step "param_server"
OUT=$(ZAF_KEY_DIR=$KEYS timeout 120 "$BUILD/bin/param_server" --address "$EP" --updates 3 --interval-ms 20 --polls 2 2>&1) \
    || fail "param_server exited $?: $OUT"
expect_params "$OUT" 9

step "param_server without keys is refused"
mkdir -p "$WORK/no-keys"
rc=0; OUT=$(env -u ZAF_BROKER_KEY -u ZAF_KEY ZAF_KEY_DIR="$WORK/no-keys" \
    timeout 60 "$BUILD/bin/param_server" --address "$EP" --updates 3 --interval-ms 20 --polls 2 2>&1) || rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "param_server without keys exited $rc: $OUT"
grep -q "the broker requires keys" <<< "$OUT" || fail "param_server without keys did not say why: $OUT"

step "ssh.sh down"
timeout 90 "$TOPO/ssh.sh" down --run-dir "$RUN" --remote-dir "$REMOTE" "$WORK/loop.topo" || fail "down failed (exit $?)"
while read -r pid; do
    ! running "$pid" || fail "pid $pid still runs after down"
done < "$WORK/pids"
ls "$RUN"/*.remote > /dev/null 2>&1 && fail "records left after down: $(ls "$RUN"/*.remote)"
timeout 30 "$TOPO/ssh.sh" down --run-dir "$RUN" --remote-dir "$REMOTE" "$WORK/loop.topo" || fail "a second down failed"
rc=0; "$TOPO/ssh.sh" status --run-dir "$RUN" "$WORK/loop.topo" > /dev/null || rc=$?
[ $rc -eq 3 ] || fail "status after down exited $rc, not 3"

step "an up that fails midway stops what it started"
cat > "$WORK/bad.topo" <<EOF2
name    bad
path    $BUILD
broker  tcp://127.0.0.1:0  bind=tcp://127.0.0.1:0
node    good  host=127.0.0.1  modules=libparam_server.so
node    bad   host=127.0.0.1  modules=libzaf.so    # a library, not a module: zaf-node exits
EOF2
rc=0; OUT=$(timeout 90 "$TOPO/ssh.sh" up --run-dir "$WORK/run-bad" --remote-dir "$REMOTE" "$WORK/bad.topo" 2>&1) || rc=$?
echo "$OUT"
[ $rc -ne 0 ] || fail "up with a broken module succeeded"
grep -q "node bad on 127.0.0.1 exited" <<< "$OUT" || fail "up did not say which node failed"
grep -q "has no zaf_module_init" <<< "$OUT" || fail "up did not show the node's log"
grep -q "broker: stopped" <<< "$OUT" || fail "up did not stop the broker it started"
grep -q "node-good: stopped" <<< "$OUT" || fail "up did not stop node good"
ls "$WORK/run-bad"/*.remote > /dev/null 2>&1 && fail "records left after a failed up: $(ls "$WORK/run-bad"/*.remote)"
for name in broker node-good; do
    ! running "$(cat "$REMOTE/$name.pid")" || fail "$name still runs after a failed up"
done
