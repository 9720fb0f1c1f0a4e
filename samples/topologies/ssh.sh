#!/usr/bin/env bash
# ssh.sh - run a zaf topology on several hosts over ssh.
#
#   ssh.sh up     [--dry-run] [--insecure] [--run-dir DIR] [--path DIR] [--remote-dir DIR] FILE
#   ssh.sh status [--dry-run] [--run-dir DIR] [--remote-dir DIR] FILE
#   ssh.sh down   [--dry-run] [--run-dir DIR] [--remote-dir DIR] FILE
#
# 'up' starts the broker on the broker line's host and every node on its
# host= over ssh, with nohup, logs in the remote dir (default
# /tmp/zaf-NAME) on each host; records each remote pid here in the run
# dir; waits until the broker listens and every node has registered; and
# prints export ZAF_ADDRESS=tcp://BROKER_HOST:PORT. 'down' stops the recorded
# remote pids over ssh (SIGTERM, SIGKILL after ZAF_STOP_TIMEOUT s). The
# programs and modules must already be at the file's 'path' on every host.
#
# 'up' writes the cluster's CURVE keys here once, with zaf keygen, into
# RUN_DIR/keys (broker, admin, driver, node-NAME for each node), copies
# over the same ssh command the broker's secret key and the allowed public
# keys to the broker's host, and each node's secret key and the broker's
# public key to that node's host (into REMOTE_DIR/keys, mode 0600), starts
# the broker with --keys and each node with --broker-key and --key, and
# prints export ZAF_KEY_DIR=RUN_DIR/keys for drivers and zaf. --insecure
# runs without keys instead (the broker with --insecure unless it binds
# loopback): only for networks where every host is trusted.
#
# The broker binds tcp://0.0.0.0:PORT (or its bind=) and the nodes dial
# tcp://BROKER_HOST:PORT, so the broker's host name must be what the nodes
# (and drivers) can reach; ssh=DEST on a line says how to reach that
# machine over ssh when it differs (e.g. ssh=admin@203.0.113.7).
#
# The ssh command is $ZAF_SSH (default: ssh -o BatchMode=yes), split on
# blanks, then the destination and one remote command for sh. --dry-run
# prints every command it would run, one a line, and runs none.

set -eu

PROG=ssh.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/topo-common.sh"

usage () {
    cat <<EOF
Usage: ssh.sh up     [--dry-run] [--insecure] [--run-dir DIR] [--path DIR] [--remote-dir DIR] FILE
       ssh.sh status [--dry-run] [--run-dir DIR] [--remote-dir DIR] FILE
       ssh.sh down   [--dry-run] [--run-dir DIR] [--remote-dir DIR] FILE
Run the broker and the nodes of topology FILE on their hosts over ssh.

  up        write the cluster's keys in RUN_DIR/keys (once, with a local zaf
            keygen) and copy each host its keys over ssh; start the broker
            (--keys), then every node (its own key), each with nohup on its
            host; record the remote pids; wait until the broker listens and
            every node has registered (at most ZAF_UP_TIMEOUT s, default 30);
            print export ZAF_ADDRESS=ENDPOINT and export ZAF_KEY_DIR=RUN_DIR/keys.
            On failure, stop what was started.
  status    ask each host whether its recorded process runs
  down      stop the recorded processes over ssh (SIGTERM, SIGKILL after
            ZAF_STOP_TIMEOUT s, default 15) and forget them; harmless to repeat

  --dry-run         print every command instead of running it
  --insecure        up: no keys; the broker runs --insecure (unless it binds
                    loopback) and anyone who reaches its port owns the
                    cluster. Only where every host that can reach it is trusted
  --run-dir DIR     where the remote pids are recorded (default:
                    \$XDG_RUNTIME_DIR/zaf/NAME-ssh, else ./.zaf-run/NAME-ssh)
  --path DIR        where bin/ and lib/ are on the hosts (default: the
                    file's 'path' line, else \$ZAF_PREFIX); absolute
  --remote-dir DIR  logs and pid files on the hosts (default /tmp/zaf-NAME)
  --help            print this help and exit

Environment: ZAF_SSH, the ssh command (default: ssh -o BatchMode=yes).
The keys are written with the first zaf found here: PATH/bin/zaf (the
hosts' path, if it exists here too), zaf on \$PATH, the build tree next to
this script.
Only the broker's port must be open between the hosts: nodes and drivers
dial out to it.

Example:
  samples/topologies/ssh.sh up --dry-run samples/topologies/ssh.topo
EOF
}

COMMAND= FILE= RUN_DIR= OPT_PATH= REMOTE_DIR= DRY_RUN= INSECURE=
while [ $# -gt 0 ]; do
    case $1 in
    -h|--help) usage; exit 0 ;;
    -n|--dry-run) DRY_RUN=1 ;;
    --insecure) INSECURE=1 ;;
    --run-dir) [ $# -ge 2 ] || die "--run-dir needs a directory"; RUN_DIR=$2; shift ;;
    --run-dir=*) RUN_DIR=${1#*=} ;;
    --path) [ $# -ge 2 ] || die "--path needs a directory"; OPT_PATH=$2; shift ;;
    --path=*) OPT_PATH=${1#*=} ;;
    --remote-dir) [ $# -ge 2 ] || die "--remote-dir needs a directory"; REMOTE_DIR=$2; shift ;;
    --remote-dir=*) REMOTE_DIR=${1#*=} ;;
    -*) die "unknown option '$1' (try --help)" ;;
    *)
        if [ -z "$COMMAND" ]; then COMMAND=$1
        elif [ -z "$FILE" ]; then FILE=$1
        else die "unexpected argument '$1' (try --help)"
        fi ;;
    esac
    shift
done
[ -n "$COMMAND" ] || { usage >&2; exit 2; }
case $COMMAND in
up|down|status) ;;
*) die "unknown command '$COMMAND': expected up, down or status" ;;
esac
[ -n "$FILE" ] || die "$COMMAND needs a topology FILE (try --help)"
topo_parse "$FILE"
[ -n "$RUN_DIR" ] || RUN_DIR=$(topo_default_run_dir -ssh)
[ -n "$REMOTE_DIR" ] || REMOTE_DIR=/tmp/zaf-$TOPO_NAME
[[ $REMOTE_DIR == /* ]] || die "--remote-dir must be an absolute path, not '$REMOTE_DIR'"

read -r -a SSH_CMD <<< "${ZAF_SSH:-ssh -o BatchMode=yes}" || true
[ ${#SSH_CMD[@]} -gt 0 ] || die "ZAF_SSH is empty"
[ -n "$DRY_RUN" ] || command -v "${SSH_CMD[0]}" > /dev/null 2>&1 \
    || die "no '${SSH_CMD[0]}' command (ZAF_SSH=${ZAF_SSH:-ssh -o BatchMode=yes})"

BROKER_DEST=${BROKER_SSH:-$BROKER_HOST}
case $BROKER_HOST in
\*|0.0.0.0) die "$TOPO_FILE: the broker line must name the host the nodes dial (not '$BROKER_HOST'); use bind= for what it listens on" ;;
esac
NODE_DESTS=()
for index in ${NODE_NAMES[@]+"${!NODE_NAMES[@]}"}; do
    dest=${NODE_SSH[$index]:-${NODE_HOSTS[$index]}}
    [ -n "$dest" ] || die "$TOPO_FILE: node ${NODE_NAMES[$index]} has no host= (ssh.sh must know where to run it)"
    NODE_DESTS+=("$dest")
done

#   remote DEST SCRIPT: run SCRIPT with sh on DEST (print it with --dry-run)
remote () {
    if [ -n "$DRY_RUN" ]; then
        printf '%s %s %s\n' "$(shq_words "${SSH_CMD[@]}")" "$(shq "$1")" "$(shq "$2")"
        return 0
    fi
    "${SSH_CMD[@]}" "$1" "$2" < /dev/null
}

#   A shell function for the remote side: is pid $1 running (not a zombie)?
R_ALIVE='alive () { kill -0 "$1" 2>/dev/null || return 1; case $(ps -o stat= -p "$1" 2>/dev/null) in Z*) return 1 ;; esac; }'

#   The start script: nohup PROGRAM ARGS with its output in the remote dir;
#   prints the pid
start_script () {
    local base=$1 out=$2 err=$3
    shift 3
    local redirect="> $out 2> $err"
    [ "$out" != "$err" ] || redirect="> $out 2>&1"
    printf 'mkdir -p %s && cd %s && { nohup %s %s < /dev/null & echo $! > %s.pid; cat %s.pid; }' \
        "$(shq "$REMOTE_DIR")" "$(shq "$REMOTE_DIR")" "$(shq_words "$@")" "$redirect" "$base" "$base"
}

#   The stop script for pid $2 of program $1: SIGTERM, wait, SIGKILL; says
#   stopped, killed, or gone. It leaves alone a pid that now belongs to
#   another program.
stop_script () {
    local program=$1 pid=$2
    printf '%s; p=%s; if alive $p && { [ ! -r /proc/$p/comm ] || [ "$(cat /proc/$p/comm)" = %s ]; }; then kill -TERM $p; i=0; while alive $p && [ $i -lt %d ]; do sleep 0.2 2>/dev/null || sleep 1; i=$((i + 1)); done; if alive $p; then kill -KILL $p; echo killed; else echo stopped; fi; else echo gone; fi' \
        "$R_ALIVE" "$pid" "$program" $((ZAF_STOP_TIMEOUT * 5))
}

#   The local zaf that writes the keys: the hosts' tree if it is here too,
#   else zaf on PATH, else the build tree next to the scripts
local_zaf () {
    local candidate
    for candidate in "$ZAF_DIR/bin/zaf" "$(command -v zaf 2>/dev/null || true)" \
                     "${TOPO_SCRIPT_DIR%/samples/topologies}/build/bin/zaf"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ]; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    return 1
}

#   copy_key DEST NAME: copy the local key file RUN_DIR/keys/NAME to
#   REMOTE_DIR/keys/NAME on DEST, through the ssh command (the file on its
#   stdin), private to the remote user (mode 0600, in a 0700 folder)
copy_key () {
    local dest=$1 name=$2 dir target
    dir=$(shq "$REMOTE_DIR/keys")
    target=$(shq "$REMOTE_DIR/keys/$name")
    local script="umask 077 && mkdir -p $dir && chmod 700 $dir && cat > $target.tmp && mv -f $target.tmp $target"
    if [ -n "$DRY_RUN" ]; then
        printf '%s %s %s < %s\n' "$(shq_words "${SSH_CMD[@]}")" "$(shq "$dest")" "$(shq "$script")" \
            "$(shq "$LOCAL_KEY_DIR/$name")"
        return 0
    fi
    "${SSH_CMD[@]}" "$dest" "$script" < "$LOCAL_KEY_DIR/$name" \
        || die "cannot copy the key $name to $dest"
}

#   hand_out_keys: write the cluster's keys here (once) and copy to each
#   host what it needs: the broker its secret key and the allowed public
#   keys, each node its own secret key and the broker's public key. Secret
#   keys never go to a host that does not use them.
hand_out_keys () {
    local zaf key role index
    zaf=$(local_zaf) || {
        [ -n "$DRY_RUN" ] || die "no zaf program here to write the cluster's keys with (looked for $ZAF_DIR/bin/zaf, zaf on PATH, ${TOPO_SCRIPT_DIR%/samples/topologies}/build/bin/zaf); put zaf on PATH, or give --insecure"
        zaf=zaf
    }
    LOCAL_KEY_DIR=$RUN_DIR/keys
    if [ -n "$DRY_RUN" ]; then
        echo "# write the cluster's keys here, once (existing keys are kept):"
        for key in $(topo_key_names); do
            case $key in node-*) role=node ;; *) role=$key ;; esac
            printf '# %s keygen --role %s --out %s %s\n' "$(shq "$zaf")" "$role" "$(shq "$LOCAL_KEY_DIR")" "$key"
        done
        echo "# copy each host its keys (the file on ssh's stdin):"
    else
        topo_keys "$LOCAL_KEY_DIR" "$zaf"
        LOCAL_KEY_DIR=$KEY_DIR
        say "keys in $LOCAL_KEY_DIR; copying each host its keys"
    fi
    copy_key "$BROKER_DEST" broker.cert_secret
    for key in $(topo_key_names); do
        [ "$key" = broker ] || copy_key "$BROKER_DEST" "$key.cert"
    done
    for index in ${NODE_NAMES[@]+"${!NODE_NAMES[@]}"}; do
        copy_key "${NODE_DESTS[$index]}" broker.cert
        copy_key "${NODE_DESTS[$index]}" "node-${NODE_NAMES[$index]}.cert_secret"
    done
}

record_remote () {
    printf '%s %s\n' "$2" "$3" > "$1"
}

do_down () {
    local rc=0 file dest pid program name result nodes=()
    for file in "$RUN_DIR"/node-*.remote; do
        [ -f "$file" ] && nodes+=("$file")
    done
    for file in ${nodes[@]+"${nodes[@]}"} "$RUN_DIR/broker.remote"; do
        [ -f "$file" ] || continue
        read -r dest pid < "$file" || { rm -f "$file"; continue; }
        name=$(basename "${file%.remote}")
        case $name in node-*) program=zaf-node ;; *) program=zaf-broker ;; esac
        say "stopping $name (pid $pid on $dest)"
        if result=$(remote "$dest" "$(stop_script "$program" "$pid")"); then
            say "$name: $result"
            rm -f "$file"
        else
            say "$name: cannot reach $dest to stop pid $pid; kept in $file"
            rc=1
        fi
    done
    [ $rc -ne 0 ] || rm -f "$RUN_DIR/address" "$RUN_DIR/key-dir"
    return $rc
}

#   A pretend run of 'down' when nothing is recorded: the commands, with
#   PID where the recorded pid would be
dry_down () {
    local index
    for index in ${NODE_NAMES[@]+"${!NODE_NAMES[@]}"}; do
        remote "${NODE_DESTS[$index]}" "$(stop_script zaf-node PID)"
    done
    remote "$BROKER_DEST" "$(stop_script zaf-broker PID)"
}

cmd_down () {
    if ! ls "$RUN_DIR"/*.remote > /dev/null 2>&1; then
        if [ -n "$DRY_RUN" ]; then
            echo "# nothing recorded in $RUN_DIR; with pids from 'up', down would run:"
            dry_down
            return 0
        fi
        say "nothing to stop: no remote pids recorded in $RUN_DIR"
        return 0
    fi
    if [ -n "$DRY_RUN" ]; then
        local file dest pid name
        for file in "$RUN_DIR"/node-*.remote "$RUN_DIR/broker.remote"; do
            [ -f "$file" ] || continue
            read -r dest pid < "$file"
            name=$(basename "${file%.remote}")
            case $name in node-*) remote "$dest" "$(stop_script zaf-node "$pid")" ;;
                          *)      remote "$dest" "$(stop_script zaf-broker "$pid")" ;; esac
        done
        return 0
    fi
    do_down || die "could not stop everything; the records left in $RUN_DIR name what still runs"
    say "down"
}

cmd_status () {
    if ! ls "$RUN_DIR"/*.remote > /dev/null 2>&1; then
        echo "not running (no remote pids recorded in $RUN_DIR)"
        [ -z "$DRY_RUN" ] && return 3 || return 0
    fi
    local file dest pid name state rc=0
    for file in "$RUN_DIR/broker.remote" "$RUN_DIR"/node-*.remote; do
        [ -f "$file" ] || continue
        read -r dest pid < "$file"
        name=$(basename "${file%.remote}")
        if [ -n "$DRY_RUN" ]; then
            remote "$dest" "$R_ALIVE; alive $pid && echo running || echo gone"
            continue
        fi
        state=$(remote "$dest" "$R_ALIVE; alive $pid && echo running || echo gone" 2>/dev/null) || state="unreachable"
        [ "$state" = running ] || rc=1
        printf '%-20s %-30s pid %-8s %s\n' "$name" "$dest" "$pid" "$state"
    done
    [ -n "$DRY_RUN" ] || [ ! -f "$RUN_DIR/address" ] || echo "ZAF_ADDRESS=$(cat "$RUN_DIR/address")"
    [ -n "$DRY_RUN" ] || [ ! -f "$RUN_DIR/key-dir" ] || echo "ZAF_KEY_DIR=$(cat "$RUN_DIR/key-dir")"
    return $rc
}

UP_DONE=
up_cleanup () {
    [ -z "$UP_DONE" ] || return 0
    say "up did not finish; stopping what it started"
    do_down || true
}

#   poll DESCRIPTION DEST SCRIPT: run SCRIPT on DEST until it prints
#   something other than 'wait' (then print that), or time out
poll () {
    local what=$1 dest=$2 script=$3 tick=0 result
    if [ -n "$DRY_RUN" ]; then
        echo "# repeated until $what (PID: the pid its start command printed):"
        remote "$dest" "$script"
        return 0
    fi
    while :; do
        result=$(remote "$dest" "$script") || die "cannot reach $dest while waiting until $what"
        if [ "$result" != wait ]; then
            printf '%s\n' "$result"
            return 0
        fi
        [ $tick -lt $((ZAF_UP_TIMEOUT * 2)) ] || die "timed out after $ZAF_UP_TIMEOUT s waiting until $what"
        sleep 0.5
        tick=$((tick + 1))
    done
}

cmd_up () {
    local dir=${OPT_PATH:-${TOPO_PATH:-${ZAF_PREFIX:-}}}
    [ -n "$dir" ] || die "where are bin/ and lib/ on the hosts? give a 'path' line, --path DIR or ZAF_PREFIX"
    [[ $dir == /* ]] || die "the path on the hosts must be absolute, not '$dir'"
    ZAF_DIR=${dir%/}
    if [ -z "$DRY_RUN" ]; then
        mkdir -p "$RUN_DIR"
        RUN_DIR=$(cd "$RUN_DIR" && pwd -P)
        ! ls "$RUN_DIR"/*.remote > /dev/null 2>&1 \
            || die "remote pids are recorded in $RUN_DIR already: run ssh.sh down (or status) first"
        trap up_cleanup EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM HUP
    else
        echo "# ssh.sh up --dry-run: the commands it would run, in order"
    fi

    local bind=${BROKER_BIND:-tcp://0.0.0.0:$BROKER_PORT}
    local args=(--bind "$bind")
    [ -z "$BROKER_HB" ] || args+=(--heartbeat-ms "$BROKER_HB")
    KEY_DIR= LOCAL_KEY_DIR=
    if [ -n "$INSECURE" ]; then
        #   No keys: a broker that listens beyond loopback needs --insecure,
        #   and the script says what that means
        case $bind in
        tcp://127.*|tcp://localhost:*|tcp://\[::1\]:*) ;;
        *)  args+=(--insecure)
            say "warning: --insecure: the broker runs without keys, and anyone who reaches $bind owns the cluster (docs/SECURITY.md)" ;;
        esac
    else
        hand_out_keys
        args+=(--keys "$REMOTE_DIR/keys")
        #   What the nodes' --broker-key and --key name (topo_node_args)
        KEY_DIR=$REMOTE_DIR/keys
    fi
    [ -n "$DRY_RUN" ] || say "starting the broker on $BROKER_DEST ($bind)"
    local pid
    pid=$(remote "$BROKER_DEST" "$(start_script broker broker.out broker.log "$ZAF_DIR/bin/zaf-broker" "${args[@]}")") \
        || die "cannot start the broker on $BROKER_DEST"
    if [ -n "$DRY_RUN" ]; then
        printf '%s\n' "$pid"
        pid=PID
    else
        [[ $pid =~ ^[0-9]+$ ]] || die "starting the broker on $BROKER_DEST did not print a pid but: $pid"
        record_remote "$RUN_DIR/broker.remote" "$BROKER_DEST" "$pid"
    fi
    local line port
    line=$(poll "the broker on $BROKER_DEST is listening" "$BROKER_DEST" \
        "$R_ALIVE; grep -m 1 \"^listening \" $(shq "$REMOTE_DIR/broker.out") || { alive $pid && echo wait || { echo exited; tail -n 20 $(shq "$REMOTE_DIR/broker.log"); }; }")
    if [ -n "$DRY_RUN" ]; then
        printf '%s\n' "$line"
        port=$BROKER_PORT
        [ "$port" != 0 ] || port='<port>'
    else
        [[ $line == listening\ * ]] || die "the broker on $BROKER_DEST exited: ${line#exited}"
        port=${line##*:}
    fi
    local address=tcp://$BROKER_HOST:$port
    if [ -z "$DRY_RUN" ]; then
        printf '%s\n' "$address" > "$RUN_DIR/address"
        rm -f "$RUN_DIR/key-dir"
        [ -z "$LOCAL_KEY_DIR" ] || printf '%s\n' "$LOCAL_KEY_DIR" > "$RUN_DIR/key-dir"
    fi

    local index name dest pids=()
    for index in ${NODE_NAMES[@]+"${!NODE_NAMES[@]}"}; do
        name=${NODE_NAMES[$index]} dest=${NODE_DESTS[$index]}
        topo_node_args "$index" "$address"
        [ -n "$DRY_RUN" ] || say "starting node $name on $dest"
        pid=$(remote "$dest" "$(start_script "node-$name" "node-$name.log" "node-$name.log" "$ZAF_DIR/bin/zaf-node" "${NODE_ARGS[@]}")") \
            || die "cannot start node $name on $dest"
        if [ -n "$DRY_RUN" ]; then
            printf '%s\n' "$pid"
            pid=PID
        else
            [[ $pid =~ ^[0-9]+$ ]] || die "starting node $name on $dest did not print a pid but: $pid"
            record_remote "$RUN_DIR/node-$name.remote" "$dest" "$pid"
        fi
        pids+=("$pid")
    done
    for index in ${NODE_NAMES[@]+"${!NODE_NAMES[@]}"}; do
        name=${NODE_NAMES[$index]} dest=${NODE_DESTS[$index]} pid=${pids[$index]}
        local log
        log=$(shq "$REMOTE_DIR/node-$name.log")
        line=$(poll "node $name on $dest has registered" "$dest" \
            "$R_ALIVE; grep -qF \"zaf_node: registered name=$name \" $log && echo registered || { alive $pid && echo wait || { echo exited; tail -n 20 $log; }; }")
        if [ -n "$DRY_RUN" ]; then
            printf '%s\n' "$line"
        else
            [ "$line" = registered ] || die "node $name on $dest exited: ${line#exited}"
        fi
    done
    if [ -n "$DRY_RUN" ]; then
        echo "# then: ZAF_ADDRESS=$address"
        [ -z "$LOCAL_KEY_DIR" ] || echo "# then: ZAF_KEY_DIR=$LOCAL_KEY_DIR"
        return 0
    fi
    UP_DONE=1
    trap - EXIT INT TERM HUP
    say "broker and ${#NODE_NAMES[@]} node(s) up; remote pids in $RUN_DIR, logs in $REMOTE_DIR on each host"
    printf 'export ZAF_ADDRESS=%s\n' "$address"
    [ -z "$LOCAL_KEY_DIR" ] || printf 'export ZAF_KEY_DIR=%s\n' "$(shq "$LOCAL_KEY_DIR")"
    printf '# try: param_server --address %s; stop with: %s down --run-dir %s %s\n' \
        "$address" "$(shq "$TOPO_SCRIPT_DIR/ssh.sh")" "$(shq "$RUN_DIR")" "$(shq "$FILE")"
}

case $COMMAND in
up)     cmd_up ;;
down)   cmd_down ;;
status) rc=0; cmd_status || rc=$?; exit $rc ;;
esac
