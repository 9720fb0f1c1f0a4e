#!/usr/bin/env bash
# test_ssh_dryrun.sh BUILD_DIR - samples/topologies/ssh.sh --dry-run
#
# On the example samples/topologies/ssh.topo: 'up --dry-run' prints the
# keygen commands, one copy command per key a host needs (secret keys only
# to the host that uses them), the ssh command for the broker (--keys) and
# for every node (its own key), and runs nothing (ZAF_SSH is a recorder that
# must never be called, and no run dir appears); with --insecure, no keys
# and a broker with --insecure; 'down --dry-run' prints a stop command per
# host. Also the default ssh command, --help of the three scripts, and
# clear errors.

set -eu
TEST=topo_ssh_dryrun
. "$(dirname "$0")/testlib.sh"

EXAMPLE=$TOPO/ssh.topo
RUN=$WORK/run
cat > "$WORK/recorder" <<EOF
#!/bin/sh
echo "\$*" >> "$WORK/called"
exit 0
EOF
chmod +x "$WORK/recorder"
export ZAF_SSH="$WORK/recorder -o BatchMode=yes -p 2222"

step "up --dry-run on $EXAMPLE"
OUT=$("$TOPO/ssh.sh" up --dry-run --run-dir "$RUN" "$EXAMPLE") || fail "up --dry-run exited $?"
echo "$OUT"
[ ! -e "$WORK/called" ] || fail "--dry-run ran ssh: $(cat "$WORK/called")"
[ ! -e "$RUN" ] || fail "--dry-run created the run dir"
SSH="$WORK/recorder -o BatchMode=yes -p 2222"

#   The broker: on host0 as admin (ssh=), bound on every interface
BROKER=$(grep -F "$SSH admin@host0.example 'mkdir -p /tmp/zaf-three && cd /tmp/zaf-three && { nohup /opt/zaf/bin/zaf-broker " <<< "$OUT") \
    || fail "no command starting the broker on admin@host0.example"
[ "$(wc -l <<< "$BROKER")" -eq 1 ] || fail "the broker is started more than once"
grep -qF -- "zaf-broker --bind tcp://0.0.0.0:5555 --keys /tmp/zaf-three/keys > broker.out 2> broker.log < /dev/null & echo \$! > broker.pid" <<< "$BROKER" \
    || fail "the broker command has the wrong flags or redirections: $BROKER"

#   The keys: written here in RUN/keys, then each host gets what it uses
for key in "broker broker" "admin admin" "driver driver" "node node-alpha" "node node-beta"; do
    set -- $key
    grep -q "^# .*zaf keygen --role $1 --out $RUN/keys $2\$" <<< "$OUT" || fail "no keygen of $2 ($1)"
done
#   copied KEY DEST: the copy command of KEY to DEST (the file on stdin)
copied () {
    grep -F "$SSH $2 '" <<< "$OUT" | grep -F "cat > /tmp/zaf-three/keys/$1.tmp && mv -f /tmp/zaf-three/keys/$1.tmp /tmp/zaf-three/keys/$1' < $RUN/keys/$1"
}
for key in broker.cert_secret admin.cert driver.cert node-alpha.cert node-beta.cert; do
    [ "$(copied "$key" admin@host0.example | wc -l)" -eq 1 ] || fail "$key is not copied once to the broker's host"
done
[ "$(grep -F "$SSH admin@host0.example '" <<< "$OUT" | grep -c "cert_secret'")" -eq 1 ] \
    || fail "the broker's host gets a secret key other than its own"
grep -q "umask 077 && mkdir -p /tmp/zaf-three/keys && chmod 700 /tmp/zaf-three/keys && cat >" <<< "$(copied broker.cert_secret admin@host0.example)" \
    || fail "keys are not copied private"
[ -z "$(grep -F "$SSH " <<< "$OUT" | grep -F "< $RUN/keys/" | grep -v "umask 077")" ] || fail "a copy without umask 077"
grep -q "^# then: ZAF_KEY_DIR=$RUN/keys\$" <<< "$OUT" || fail "no ZAF_KEY_DIR line"

#   Every node of the file, on its host, dialling the broker's host
NODES=$(awk '$1 == "node" { print $2 }' "$EXAMPLE")
[ -n "$NODES" ] || fail "the example has no nodes"
for name in $NODES; do
    host=$(awk -v n="$name" '$1 == "node" && $2 == n { for (i = 3; i <= NF; i++) if ($i ~ /^host=/) print substr($i, 6) }' "$EXAMPLE")
    line=$(grep -F "$SSH $host '" <<< "$OUT" | grep -F "zaf-node " | grep -F -- "--name $name ") \
        || fail "no command starting node $name on $host"
    [ "$(wc -l <<< "$line")" -eq 1 ] || fail "node $name is started more than once"
    [ "$(copied broker.cert "$host" | wc -l)" -eq 1 ] || fail "the broker's public key is not copied to $host"
    [ "$(copied "node-$name.cert_secret" "$host" | wc -l)" -eq 1 ] || fail "node $name's key is not copied to $host"
    [ "$(grep -F "$SSH $host '" <<< "$OUT" | grep -c "cert_secret'")" -eq 1 ] \
        || fail "$host gets a secret key other than node $name's"
    grep -qF -- "nohup /opt/zaf/bin/zaf-node --broker tcp://host0.example:5555 --name $name --broker-key /tmp/zaf-three/keys/broker.cert --key /tmp/zaf-three/keys/node-$name.cert_secret --cpus 2 --module /opt/zaf/lib/zaf/libparam_server.so --module /opt/zaf/lib/zaf/libtree_of_actors.so --module /opt/zaf/lib/zaf/libmessage_actor.so > node-$name.log 2>&1 < /dev/null &" <<< "$line" \
        || fail "node $name: wrong flags: $line"
done
[ "$(grep -c 'zaf-node --broker' <<< "$OUT")" -eq "$(wc -w <<< "$NODES")" ] || fail "not one start command per node"
grep -q "^# repeated until the broker on admin@host0.example is listening" <<< "$OUT" || fail "no wait for the broker"
for name in $NODES; do
    grep -q "^# repeated until node $name on .* has registered" <<< "$OUT" || fail "no wait for node $name"
done
grep -q "^# then: ZAF_ADDRESS=tcp://host0.example:5555$" <<< "$OUT" || fail "no address line"
#   Every command line is the ssh command, a destination and one quoted
#   remote command (a copy: then the local key file on its stdin)
while IFS= read -r line; do
    case $line in
    "#"*) ;;
    "$SSH "*" '"*"'") ;;
    "$SSH "*" '"*"' < $RUN/keys/"*) ;;
    *) fail "not an ssh command line: $line" ;;
    esac
done <<< "$OUT"

step "the remote commands parse as sh"
while IFS= read -r line; do
    case $line in "#"*) continue ;; esac
    line=${line% < "$RUN"/keys/*}
    eval "set -- ${line#"$SSH "}"
    [ $# -eq 2 ] || fail "not one destination and one command: $line"
    sh -n -c "$2" || fail "the remote command does not parse: $2"
done <<< "$OUT"

step "up --dry-run --insecure"
OUT=$("$TOPO/ssh.sh" up --dry-run --insecure --run-dir "$RUN" "$EXAMPLE" 2>"$WORK/insecure.err") \
    || fail "up --dry-run --insecure exited $?"
grep -qF -- "zaf-broker --bind tcp://0.0.0.0:5555 --insecure > broker.out" <<< "$OUT" || fail "no --insecure broker: $OUT"
! grep -q "keys\|keygen" <<< "$OUT" || fail "--insecure still hands out keys: $OUT"
grep -q "warning: --insecure: the broker runs without keys, and anyone who reaches tcp://0.0.0.0:5555 owns the cluster" "$WORK/insecure.err" \
    || fail "no warning for --insecure: $(cat "$WORK/insecure.err")"
[ ! -e "$WORK/called" ] || fail "--dry-run ran ssh: $(cat "$WORK/called")"
[ ! -e "$RUN" ] || fail "--dry-run created the run dir"

step "down --dry-run"
OUT=$("$TOPO/ssh.sh" down --dry-run --run-dir "$RUN" "$EXAMPLE") || fail "down --dry-run exited $?"
echo "$OUT"
[ ! -e "$WORK/called" ] || fail "down --dry-run ran ssh: $(cat "$WORK/called")"
grep -q "kill -TERM" <<< "$(grep -F "$SSH admin@host0.example " <<< "$OUT")" || fail "down does not stop the broker on host0"
for name in $NODES; do
    host=$(awk -v n="$name" '$1 == "node" && $2 == n { for (i = 3; i <= NF; i++) if ($i ~ /^host=/) print substr($i, 6) }' "$EXAMPLE")
    grep -F "$SSH $host " <<< "$OUT" | grep -q "= zaf-node ]" || fail "down does not stop node $name on $host"
done

step "the default ssh command"
OUT=$(env -u ZAF_SSH "$TOPO/ssh.sh" up --dry-run --run-dir "$RUN" "$EXAMPLE") || fail "up --dry-run exited $?"
grep -q "^ssh -o BatchMode=yes admin@host0.example " <<< "$OUT" || fail "the default is not ssh -o BatchMode=yes"

step "errors"
grep -v '^path' "$EXAMPLE" > "$WORK/nopath.topo"
rc=0; OUT=$(env -u ZAF_PREFIX "$TOPO/ssh.sh" up --dry-run "$WORK/nopath.topo" 2>&1) || rc=$?
[ $rc -ne 0 ] && grep -q "where are bin/ and lib/ on the hosts" <<< "$OUT" || fail "a missing path was not refused: $OUT"
OUT=$(ZAF_PREFIX=/srv/zaf "$TOPO/ssh.sh" up --dry-run --run-dir "$RUN" "$WORK/nopath.topo") || fail "ZAF_PREFIX was not used"
grep -q "nohup /srv/zaf/bin/zaf-broker" <<< "$OUT" || fail "ZAF_PREFIX was not used: $OUT"
printf 'path /opt/zaf\nbroker tcp://h0:5555\nnode a cpus=2\n' > "$WORK/nohost.topo"
rc=0; OUT=$("$TOPO/ssh.sh" up --dry-run "$WORK/nohost.topo" 2>&1) || rc=$?
[ $rc -ne 0 ] && grep -q "node a has no host=" <<< "$OUT" || fail "a node without host= was not refused: $OUT"
rc=0; "$TOPO/ssh.sh" launch --dry-run "$EXAMPLE" 2>/dev/null || rc=$?
[ $rc -ne 0 ] || fail "an unknown command was accepted"
[ ! -e "$WORK/called" ] || fail "ssh was run: $(cat "$WORK/called")"

step "--help"
for script in local.sh netns.sh ssh.sh; do
    "$TOPO/$script" --help | grep -q "^Usage: $script " || fail "$script --help"
    rc=0; "$TOPO/$script" --no-such-flag > /dev/null 2>&1 || rc=$?
    [ $rc -ne 0 ] || fail "$script accepted --no-such-flag"
done
