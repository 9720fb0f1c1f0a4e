#!/usr/bin/env bash
# netns.sh - rehearse a several-machine zaf topology on one Linux host with
# network namespaces (root only).
#
#   netns.sh up     [--run-dir DIR] [--prefix P] [--path DIR] FILE
#   netns.sh run    [--run-dir DIR] [--prefix P] [--path DIR] FILE -- COMMAND [ARG]...
#   netns.sh status [--run-dir DIR] [--prefix P] FILE
#   netns.sh down   [--run-dir DIR] [--prefix P] [FILE]
#
# Every machine gets a namespace of its own: P-broker, P-NODE for each
# node, and P-client for the drivers ('run'). Each has its loopback up and
# an eth0 with the machine's address (/24), the other end of which is a
# port of the bridge br0 in the hub namespace P-hub. Nothing is added to
# the host's own network namespace, so the addresses (default 10.77.0.x)
# never meet the host's, and two topologies with different prefixes can
# use the same addresses at once. P defaults to zaf-NAME.
#
# Addresses come from the file: the broker line's host (an IPv4 address,
# e.g. broker tcp://10.77.0.1:5555); a node's host= (in the broker's /24;
# when missing, the next free one from .11); the client line's host=
# (default .254). The broker binds its address (or its bind=); the nodes
# dial it. 'down' kills the recorded processes and whatever still runs in
# the namespaces, and deletes the namespaces (their veths and bridge go
# with them); it works after a failed or partial 'up', and twice.

set -eu

PROG=netns.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/topo-common.sh"

usage () {
    cat <<EOF
Usage: netns.sh up     [--run-dir DIR] [--prefix P] [--path DIR] FILE
       netns.sh run    [--run-dir DIR] [--prefix P] [--path DIR] FILE -- COMMAND [ARG]...
       netns.sh status [--run-dir DIR] [--prefix P] FILE
       netns.sh down   [--run-dir DIR] [--prefix P] [FILE]
Play the machines of topology FILE on this host, one network namespace
each, joined by a bridge. Needs root and 'ip netns'.

  up        create the namespaces P-hub (bridge br0), P-broker, P-NODE for
            every node and P-client; start the broker in P-broker and each
            node in its namespace; wait until every node has registered
            (at most ZAF_UP_TIMEOUT s, default 30); print export ZAF_ADDRESS=ENDPOINT.
            On failure it undoes everything and exits 1.
  run       run COMMAND in P-client with ZAF_ADDRESS set and the tree's
            bin/ first on PATH; exits with COMMAND's status
  status    show the namespaces and the recorded processes
  down      stop the recorded processes (SIGTERM, SIGKILL after
            ZAF_STOP_TIMEOUT s, default 15), kill what else runs in the
            namespaces, delete the namespaces; harmless to repeat

  --run-dir DIR  pid files, logs, the address (default: \$XDG_RUNTIME_DIR/
                 zaf/NAME-netns, else ./.zaf-run/NAME-netns)
  --prefix P     namespace name prefix (default: the one 'up' recorded in
                 the run dir, else zaf-NAME); give each concurrent copy its own
  --path DIR     the tree holding bin/ and lib/ (default: the file's 'path'
                 line, else \$ZAF_PREFIX, else the build tree next to this script)
  --help         print this help and exit

Example:
  sudo samples/topologies/netns.sh up samples/topologies/netns.topo
  sudo samples/topologies/netns.sh run samples/topologies/netns.topo -- \\
      param_server --address tcp://10.77.0.1:5555
  sudo samples/topologies/netns.sh down samples/topologies/netns.topo
EOF
}

COMMAND= FILE= RUN_DIR= OPT_PATH= PREFIX= RUN_ARGS=()
while [ $# -gt 0 ]; do
    case $1 in
    -h|--help) usage; exit 0 ;;
    --run-dir) [ $# -ge 2 ] || die "--run-dir needs a directory"; RUN_DIR=$2; shift ;;
    --run-dir=*) RUN_DIR=${1#*=} ;;
    --path) [ $# -ge 2 ] || die "--path needs a directory"; OPT_PATH=$2; shift ;;
    --path=*) OPT_PATH=${1#*=} ;;
    --prefix) [ $# -ge 2 ] || die "--prefix needs a value"; PREFIX=$2; shift ;;
    --prefix=*) PREFIX=${1#*=} ;;
    --) shift; RUN_ARGS=("$@"); break ;;
    -*) die "unknown option '$1' (try --help)" ;;
    *)
        if [ -z "$COMMAND" ]; then COMMAND=$1
        elif [ -z "$FILE" ]; then FILE=$1
        else die "unexpected argument '$1' (a command to run goes after --; try --help)"
        fi ;;
    esac
    shift
done
[ -n "$COMMAND" ] || { usage >&2; exit 2; }
case $COMMAND in
up|status) [ -n "$FILE" ] || die "$COMMAND needs a topology FILE (try --help)" ;;
run)       [ -n "$FILE" ] || die "run needs a topology FILE (try --help)"
           [ ${#RUN_ARGS[@]} -gt 0 ] || die "run needs a command after --, e.g. netns.sh run FILE -- param_server --address ENDPOINT" ;;
down)      [ -n "$FILE" ] || [ -n "$RUN_DIR" ] || die "down needs a topology FILE or --run-dir DIR" ;;
*)         die "unknown command '$COMMAND': expected up, run, status or down" ;;
esac
[ "$COMMAND" = run ] || [ ${#RUN_ARGS[@]} -eq 0 ] || die "only 'run' takes a command after --"

[ "$(id -u)" = 0 ] || die "must run as root: it creates network namespaces (try: sudo $0 $COMMAND ...)"
command -v ip > /dev/null 2>&1 || die "no 'ip' command: install iproute2"
ip netns list > /dev/null 2>&1 || die "'ip netns list' fails: this system does not support network namespaces"

[ -z "$FILE" ] || topo_parse "$FILE"
[ -n "$RUN_DIR" ] || RUN_DIR=$(topo_default_run_dir -netns)
if [ -z "$PREFIX" ] && [ -f "$RUN_DIR/prefix" ]; then
    PREFIX=$(cat "$RUN_DIR/prefix")
fi
if [ -z "$PREFIX" ]; then
    if [ -z "$FILE" ]; then
        #   down --run-dir DIR, with nothing recorded there
        if ! ls "$RUN_DIR"/*.pid "$RUN_DIR/namespaces" > /dev/null 2>&1; then
            say "nothing to do: nothing recorded in $RUN_DIR"
            exit 0
        fi
        die "no prefix recorded in $RUN_DIR: give --prefix P or the topology FILE"
    fi
    PREFIX=zaf-$TOPO_NAME
fi
[[ $PREFIX =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$ ]] \
    || die "prefix '$PREFIX' must be 1-40 of A-Z a-z 0-9 _ . - (starting with a letter or digit)"

# ---------------------------------------------------------------------------
# Machines: MACHINES (names of namespaces past the prefix) and ADDRESSES

IPV4_RE='^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$'

ipv4_ok () {
    [[ $1 =~ $IPV4_RE ]] || return 1
    local part
    for part in "${BASH_REMATCH[@]:1}"; do
        [ $((10#$part)) -le 255 ] || return 1
    done
}

plan_machines () {
    local where="$TOPO_FILE"
    ipv4_ok "$BROKER_HOST" \
        || die "$where: netns.sh needs the broker at an IPv4 address, e.g. broker tcp://10.77.0.1:5555, not '$BROKER_HOST'"
    case $BROKER_HOST in
    127.*|0.*) die "$where: the broker's address $BROKER_HOST is a loopback or wildcard address; give each machine its own address in one /24, e.g. 10.77.0.1" ;;
    esac
    SUBNET=${BROKER_HOST%.*}
    MACHINES=(broker) ADDRESSES=("$BROKER_HOST")
    local index name host used=" ${BROKER_HOST##*.} " last next=11
    for index in ${NODE_NAMES[@]+"${!NODE_NAMES[@]}"}; do
        host=${NODE_HOSTS[$index]}
        [ -n "$host" ] || continue
        case $host in
        127.*|localhost) die "$where: node ${NODE_NAMES[$index]}: host=$host is a loopback address; give it an address in $SUBNET.0/24 (or none, and netns.sh picks one)" ;;
        esac
        ipv4_ok "$host" || die "$where: node ${NODE_NAMES[$index]}: host=$host is not an IPv4 address (netns.sh needs one in $SUBNET.0/24)"
        [ "${host%.*}" = "$SUBNET" ] || die "$where: node ${NODE_NAMES[$index]}: host=$host is outside the broker's $SUBNET.0/24"
        last=$((10#${host##*.}))
        [ $last -ge 1 ] && [ $last -le 254 ] || die "$where: node ${NODE_NAMES[$index]}: host=$host is not a host address"
        [[ $used != *" $last "* ]] || die "$where: node ${NODE_NAMES[$index]}: address $host is taken by another machine"
        used="$used$last "
    done
    if [ -n "$CLIENT_HOST" ]; then
        ipv4_ok "$CLIENT_HOST" && [ "${CLIENT_HOST%.*}" = "$SUBNET" ] \
            || die "$where: client host=$CLIENT_HOST must be an IPv4 address in $SUBNET.0/24"
        last=$((10#${CLIENT_HOST##*.}))
        [ $last -ge 1 ] && [ $last -le 254 ] || die "$where: client host=$CLIENT_HOST is not a host address"
        [[ $used != *" $last "* ]] || die "$where: the client's address $CLIENT_HOST is taken by another machine"
        used="$used$last "
    fi
    for index in ${NODE_NAMES[@]+"${!NODE_NAMES[@]}"}; do
        name=${NODE_NAMES[$index]}
        case $name in hub|broker|client) die "$where: netns.sh names namespaces after nodes: a node cannot be called '$name'" ;; esac
        host=${NODE_HOSTS[$index]}
        if [ -z "$host" ]; then
            while [[ $used == *" $next "* ]]; do next=$((next + 1)); done
            [ $next -le 254 ] || die "$where: no free address left in $SUBNET.0/24"
            host=$SUBNET.$next
            used="$used$next "
        fi
        MACHINES+=("$name") ADDRESSES+=("$host")
    done
    if [ -z "$CLIENT_HOST" ]; then
        next=254
        while [[ $used == *" $next "* ]]; do next=$((next - 1)); done
        [ $next -ge 1 ] || die "$where: no free address left in $SUBNET.0/24 for the client"
        CLIENT_HOST=$SUBNET.$next
    fi
    MACHINES+=(client) ADDRESSES+=("$CLIENT_HOST")
}

ns_exists () {
    ip netns list 2>/dev/null | awk '{ print $1 }' | grep -qxF -- "$1"
}

#   The namespaces this topology has or may have: the ones 'up' recorded
#   and, when the file is known, the ones it would create
namespaces () {
    {
        [ ! -f "$RUN_DIR/namespaces" ] || cat "$RUN_DIR/namespaces"
        if [ -n "$FILE" ]; then
            printf '%s\n' "$PREFIX-hub" "$PREFIX-broker" "$PREFIX-client"
            local name
            for name in ${NODE_NAMES[@]+"${NODE_NAMES[@]}"}; do
                printf '%s\n' "$PREFIX-$name"
            done
        fi
    } | awk 'NF && !seen[$0]++'
}

# ---------------------------------------------------------------------------

do_down () {
    local rc=0 file nodes=()
    for file in "$RUN_DIR"/node-*.pid; do
        [ -f "$file" ] && nodes+=("$file")
    done
    stop_records ${nodes[@]+"${nodes[@]}"} || rc=1
    stop_records "$RUN_DIR/broker.pid" || rc=1

    local ns pids pid tick list list_alive
    list=$(namespaces)
    #   Anything still running in the namespaces (a 'run' command, a
    #   process 'up' could not record) keeps a namespace alive: stop it
    pids=
    while IFS= read -r ns; do
        [ -n "$ns" ] && ns_exists "$ns" || continue
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            say "stopping pid $pid, still running in namespace $ns"
            kill -TERM "$pid" 2>/dev/null || true
            pids="$pids $pid"
        done
    done <<< "$list"
    if [ -n "$pids" ]; then
        for tick in $(seq $((ZAF_STOP_TIMEOUT * 10))); do
            list_alive=
            for pid in $pids; do pid_alive "$pid" && list_alive="$list_alive $pid"; done
            [ -n "$list_alive" ] || break
            sleep 0.1
        done
        for pid in $pids; do
            pid_alive "$pid" && { say "pid $pid ignores SIGTERM: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; }
        done
    fi
    list=$(namespaces)
    while IFS= read -r ns; do
        [ -n "$ns" ] && ns_exists "$ns" || continue
        if ip netns del "$ns"; then
            say "deleted namespace $ns"
        else
            say "cannot delete namespace $ns"
            rc=1
        fi
    done <<< "$list"
    if [ $rc -eq 0 ]; then
        rm -f "$RUN_DIR/namespaces" "$RUN_DIR/address" "$RUN_DIR/endpoint"
    fi
    return $rc
}

cmd_down () {
    if [ ! -d "$RUN_DIR" ] && [ -z "$FILE" ]; then
        say "nothing to do (no run dir $RUN_DIR)"
        return 0
    fi
    do_down || die "could not undo everything; see the messages above"
    say "down; logs are in $RUN_DIR"
}

UP_DONE=
up_cleanup () {
    [ -z "$UP_DONE" ] || return 0
    say "up did not finish; undoing what it did"
    do_down || true
}

#   ip_do ARG...: run ip with ARG, failing with a clear message
ip_do () {
    local out
    out=$(ip "$@" 2>&1) || { say "failed: ip $* : $out"; return 1; }
}

cmd_up () {
    plan_machines
    topo_prefix "$OPT_PATH"
    topo_check_local_tree
    mkdir -p "$RUN_DIR"
    RUN_DIR=$(cd "$RUN_DIR" && pwd -P)
    local ns
    for ns in "$PREFIX-hub" "${MACHINES[@]/#/$PREFIX-}"; do
        ! ns_exists "$ns" || die "namespace $ns exists already: is this topology up? (netns.sh down --run-dir $RUN_DIR --prefix $PREFIX; or pick another --prefix)"
    done
    local file
    for file in "$RUN_DIR"/node-*.pid "$RUN_DIR"/broker.pid; do
        [ -f "$file" ] || continue
        ! record_alive "$file" || die "$(basename "${file%.pid}") from an earlier 'up' is still running in $RUN_DIR; run netns.sh down first"
        rm -f "$file"
    done
    rm -f "$RUN_DIR/address" "$RUN_DIR/endpoint"

    trap up_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM HUP
    #   Record first, so that 'down' finds whatever a failure leaves
    printf '%s\n' "$PREFIX" > "$RUN_DIR/prefix"
    printf '%s\n' "$PREFIX-hub" "${MACHINES[@]/#/$PREFIX-}" > "$RUN_DIR/namespaces"

    local hub=$PREFIX-hub
    say "creating namespace $hub with bridge br0"
    ip_do netns add "$hub"
    ip_do -n "$hub" link set lo up
    ip_do -n "$hub" link add br0 type bridge
    ip_do -n "$hub" link set br0 up
    local index
    for index in "${!MACHINES[@]}"; do
        ns=$PREFIX-${MACHINES[$index]}
        say "creating namespace $ns at ${ADDRESSES[$index]}/24"
        ip_do netns add "$ns"
        ip_do -n "$ns" link set lo up
        ip_do -n "$hub" link add "p$index" type veth peer name eth0 netns "$ns"
        ip_do -n "$hub" link set "p$index" master br0
        ip_do -n "$hub" link set "p$index" up
        ip_do -n "$ns" addr add "${ADDRESSES[$index]}/24" dev eth0
        ip_do -n "$ns" link set eth0 up
    done

    local bind=${BROKER_BIND:-tcp://$BROKER_HOST:$BROKER_PORT}
    topo_keys "$RUN_DIR/keys"
    local args=(--bind "$bind" --endpoint-file "$RUN_DIR/endpoint" --keys "$KEY_DIR")
    [ -z "$BROKER_HB" ] || args+=(--heartbeat-ms "$BROKER_HB")
    say "starting the broker in $PREFIX-broker on $bind"
    start_bg "$RUN_DIR/broker.pid" "$RUN_DIR/broker.out" "$RUN_DIR/broker.log" \
        ip netns exec "$PREFIX-broker" "$ZAF_DIR/bin/zaf-broker" "${args[@]}"
    wait_listening "$RUN_DIR/broker.pid" "$RUN_DIR/broker.out" "$RUN_DIR/broker.log"
    local address=$BOUND_ENDPOINT
    case $address in
    tcp://0.0.0.0:*|tcp://\*:*) address=tcp://$BROKER_HOST:${address##*:} ;;
    esac
    printf '%s\n' "$address" > "$RUN_DIR/address"

    local name
    for index in ${NODE_NAMES[@]+"${!NODE_NAMES[@]}"}; do
        name=${NODE_NAMES[$index]}
        topo_node_args "$index" "$address"
        say "starting node $name in $PREFIX-$name"
        start_bg "$RUN_DIR/node-$name.pid" "$RUN_DIR/node-$name.log" "$RUN_DIR/node-$name.log" \
            ip netns exec "$PREFIX-$name" "$ZAF_DIR/bin/zaf-node" "${NODE_ARGS[@]}"
    done
    for index in ${NODE_NAMES[@]+"${!NODE_NAMES[@]}"}; do
        name=${NODE_NAMES[$index]}
        wait_registered "$RUN_DIR/node-$name.pid" "$RUN_DIR/node-$name.log" "$name"
    done
    UP_DONE=1
    trap - EXIT INT TERM HUP
    say "broker and ${#NODE_NAMES[@]} node(s) up in namespaces $PREFIX-*; pids and logs in $RUN_DIR"
    printf 'export ZAF_ADDRESS=%s\n' "$address"
    printf 'export ZAF_KEY_DIR=%s\n' "$(shq "$KEY_DIR")"
    printf '# try: %s run --run-dir %s %s -- param_server --address %s\n' \
        "$(shq "$TOPO_SCRIPT_DIR/netns.sh")" "$(shq "$RUN_DIR")" "$(shq "$FILE")" "$address"
}

cmd_run () {
    [ -f "$RUN_DIR/address" ] || die "not up: no address in $RUN_DIR (run netns.sh up first)"
    local ns=$PREFIX-client
    ns_exists "$ns" || die "no namespace $ns: not up, or up with another --prefix"
    topo_prefix "$OPT_PATH"
    local bin=$ZAF_DIR/bin
    [ ! -d "$bin" ] || bin=$(cd "$bin" && pwd -P)
    exec ip netns exec "$ns" env ZAF_ADDRESS="$(cat "$RUN_DIR/address")" ZAF_KEY_DIR="$RUN_DIR/keys" \
        PATH="$bin:$PATH" "${RUN_ARGS[@]}"
}

cmd_status () {
    local list ns state file rc=0 pid name
    list=$(namespaces)
    while IFS= read -r ns; do
        [ -n "$ns" ] || continue
        if ns_exists "$ns"; then state=present; else state=absent; rc=1; fi
        printf 'namespace %-30s %s\n' "$ns" "$state"
    done <<< "$list"
    for file in "$RUN_DIR/broker.pid" "$RUN_DIR"/node-*.pid; do
        [ -f "$file" ] || continue
        pid=$(record_pid_of "$file" || echo '?')
        name=$(basename "${file%.pid}")
        case $name in node-*) name="node ${name#node-}" ;; esac
        if record_alive "$file"; then state=running; else state=gone; rc=1; fi
        printf '%-20s pid %-8s %s\n' "$name" "$pid" "$state"
    done
    [ ! -f "$RUN_DIR/address" ] || echo "ZAF_ADDRESS=$(cat "$RUN_DIR/address")"
    return $rc
}

case $COMMAND in
up)     cmd_up ;;
run)    cmd_run ;;
down)   cmd_down ;;
status) rc=0; cmd_status || rc=$?; exit $rc ;;
esac
