#!/usr/bin/env bash
# local.sh - run a zaf topology on this machine: its broker and its nodes
# as background processes, with pids and logs in a run folder.
#
#   local.sh up     [--run-dir DIR] [--path DIR] FILE
#   local.sh status [--run-dir DIR] [FILE]
#   local.sh down   [--run-dir DIR] [FILE]
#
# 'up' binds the broker at the endpoint of the file's broker line (port 0:
# the system picks a free one), starts every node against it, waits until
# the broker is listening and every node has registered, and prints
# export ZAF_ADDRESS=ENDPOINT (so eval "$(local.sh up FILE)" sets it). A node's
# host= is ignored: everything runs here. If 'up' fails it stops what it
# started. 'down' stops exactly the recorded processes (SIGTERM, SIGKILL
# after ZAF_STOP_TIMEOUT s, default 15) and can run any number of times.
# The topology file format is in README.md and in topo-common.sh.

set -eu

PROG=local.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/topo-common.sh"

usage () {
    cat <<EOF
Usage: local.sh up     [--run-dir DIR] [--path DIR] FILE
       local.sh status [--run-dir DIR] [FILE]
       local.sh down   [--run-dir DIR] [FILE]
Run the broker and the nodes of topology FILE on this machine.

  up        start the broker and every node in the background, wait until
            the broker listens and every node has registered (at most
            ZAF_UP_TIMEOUT s, default 30), then print export ZAF_ADDRESS=ENDPOINT;
            if anything fails, stop what was started and exit 1
  status    show which recorded processes are running (exit 0: all of
            them, 1: some are gone, 3: nothing recorded)
  down      stop the recorded processes (SIGTERM, then SIGKILL after
            ZAF_STOP_TIMEOUT s, default 15) and delete their pid files;
            running it again is harmless

  --run-dir DIR  pid files, logs and the address (default:
                 \$XDG_RUNTIME_DIR/zaf/NAME, else ./.zaf-run/NAME, where
                 NAME is the topology's name); down and status need
                 FILE or --run-dir
  --path DIR     the tree holding bin/ and lib/ (default: the file's
                 'path' line, else \$ZAF_PREFIX, else the build tree next
                 to this script)
  --help         print this help and exit

Example:
  samples/topologies/local.sh up samples/topologies/local.topo
  build/bin/param_server --address tcp://127.0.0.1:5555
  samples/topologies/local.sh down samples/topologies/local.topo
EOF
}

COMMAND= FILE= RUN_DIR= OPT_PATH=
while [ $# -gt 0 ]; do
    case $1 in
    -h|--help) usage; exit 0 ;;
    --run-dir) [ $# -ge 2 ] || die "--run-dir needs a directory"; RUN_DIR=$2; shift ;;
    --run-dir=*) RUN_DIR=${1#*=} ;;
    --path) [ $# -ge 2 ] || die "--path needs a directory"; OPT_PATH=$2; shift ;;
    --path=*) OPT_PATH=${1#*=} ;;
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
up)          [ -n "$FILE" ] || die "up needs a topology FILE (try --help)" ;;
down|status) [ -n "$FILE" ] || [ -n "$RUN_DIR" ] || die "$COMMAND needs a topology FILE or --run-dir DIR" ;;
*)           die "unknown command '$COMMAND': expected up, down or status" ;;
esac
[ -z "$FILE" ] || topo_parse "$FILE"
[ -n "$RUN_DIR" ] || RUN_DIR=$(topo_default_run_dir "")

#   The records, nodes first (they stop before the broker)
records () {
    local file
    for file in "$RUN_DIR"/node-*.pid "$RUN_DIR"/broker.pid; do
        [ -f "$file" ] && printf '%s\n' "$file"
    done
    return 0
}

do_down () {
    local nodes=() file
    for file in "$RUN_DIR"/node-*.pid; do
        [ -f "$file" ] && nodes+=("$file")
    done
    local rc=0
    stop_records ${nodes[@]+"${nodes[@]}"} || rc=1
    stop_records "$RUN_DIR/broker.pid" || rc=1
    if [ $rc -eq 0 ]; then
        rm -f "$RUN_DIR/address" "$RUN_DIR/endpoint" "$RUN_DIR/zaf-dir"
    fi
    return $rc
}

cmd_down () {
    if [ ! -d "$RUN_DIR" ] || [ -z "$(records)" ]; then
        say "nothing is running (no pid files in $RUN_DIR)"
        rm -f "$RUN_DIR/address" "$RUN_DIR/endpoint" 2>/dev/null || true
        return 0
    fi
    do_down || die "some processes would not stop; their pid files are left in $RUN_DIR"
    say "stopped; logs are in $RUN_DIR"
}

cmd_status () {
    local list file pid name state dead=0
    list=$(records | grep '/broker\.pid$'; records | grep -v '/broker\.pid$' || true)
    if [ -z "$list" ]; then
        echo "not running (no pid files in $RUN_DIR)"
        return 3
    fi
    while IFS= read -r file; do
        pid=$(record_pid_of "$file" || echo '?')
        name=$(basename "${file%.pid}")
        case $name in node-*) name="node ${name#node-}" ;; esac
        if record_alive "$file"; then state=running; else state=gone; dead=1; fi
        printf '%-20s pid %-8s %s\n' "$name" "$pid" "$state"
    done <<< "$list"
    if [ -f "$RUN_DIR/address" ]; then
        local address
        address=$(cat "$RUN_DIR/address")
        echo "ZAF_ADDRESS=$address"
        #   The zaf CLI, when the tree has one, shows what the broker knows
        local dir
        dir=$(cat "$RUN_DIR/zaf-dir" 2>/dev/null || true)
        if [ -n "$dir" ] && [ -x "$dir/bin/zaf" ] && [ $dead -eq 0 ]; then
            echo
            timeout 10 "$dir/bin/zaf" status --address "$address" --timeout-ms 3000 || true
        fi
    fi
    return $dead
}

UP_DONE=
up_cleanup () {
    [ -z "$UP_DONE" ] || return 0
    say "up did not finish; stopping what it started"
    do_down || true
}

cmd_up () {
    topo_prefix "$OPT_PATH"
    topo_check_local_tree
    mkdir -p "$RUN_DIR"
    RUN_DIR=$(cd "$RUN_DIR" && pwd -P)
    local file running=
    for file in "$RUN_DIR"/node-*.pid "$RUN_DIR"/broker.pid; do
        [ -f "$file" ] || continue
        if record_alive "$file"; then
            running="$running $(basename "${file%.pid}")"
        else
            rm -f "$file"
        fi
    done
    [ -z "$running" ] || die "already running in $RUN_DIR:$running; run: $PROG down --run-dir $RUN_DIR"
    rm -f "$RUN_DIR/address" "$RUN_DIR/endpoint"

    trap up_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM HUP

    local bind=${BROKER_BIND:-tcp://$BROKER_HOST:$BROKER_PORT}
    topo_keys "$RUN_DIR/keys"
    local args=(--bind "$bind" --endpoint-file "$RUN_DIR/endpoint" --keys "$KEY_DIR")
    [ -z "$BROKER_HB" ] || args+=(--heartbeat-ms "$BROKER_HB")
    say "starting the broker on $bind"
    start_bg "$RUN_DIR/broker.pid" "$RUN_DIR/broker.out" "$RUN_DIR/broker.log" \
        "$ZAF_DIR/bin/zaf-broker" "${args[@]}"
    wait_listening "$RUN_DIR/broker.pid" "$RUN_DIR/broker.out" "$RUN_DIR/broker.log"
    local address
    address=$(topo_dial_endpoint "$BOUND_ENDPOINT")
    printf '%s\n' "$address" > "$RUN_DIR/address"
    printf '%s\n' "$ZAF_DIR" > "$RUN_DIR/zaf-dir"

    local index name
    for index in ${NODE_NAMES[@]+"${!NODE_NAMES[@]}"}; do
        name=${NODE_NAMES[$index]}
        topo_node_args "$index" "$address"
        say "starting node $name"
        start_bg "$RUN_DIR/node-$name.pid" "$RUN_DIR/node-$name.log" "$RUN_DIR/node-$name.log" \
            "$ZAF_DIR/bin/zaf-node" "${NODE_ARGS[@]}"
    done
    for index in ${NODE_NAMES[@]+"${!NODE_NAMES[@]}"}; do
        name=${NODE_NAMES[$index]}
        wait_registered "$RUN_DIR/node-$name.pid" "$RUN_DIR/node-$name.log" "$name"
    done
    UP_DONE=1
    trap - EXIT INT TERM HUP
    say "broker and ${#NODE_NAMES[@]} node(s) up; pids and logs in $RUN_DIR"
    printf 'export ZAF_ADDRESS=%s\n' "$address"
    printf 'export ZAF_KEY_DIR=%s\n' "$(shq "$KEY_DIR")"
    printf '# try: %s --address %s; stop with: %s down --run-dir %s\n' \
        "$(shq "$ZAF_DIR/bin/param_server")" "$address" "$(shq "$TOPO_SCRIPT_DIR/local.sh")" "$(shq "$RUN_DIR")"
}

case $COMMAND in
up)     cmd_up ;;
down)   cmd_down ;;
status) rc=0; cmd_status || rc=$?; exit $rc ;;
esac
