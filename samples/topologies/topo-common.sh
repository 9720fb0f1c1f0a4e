# topo-common.sh - shared by local.sh, netns.sh and ssh.sh (sourced, not run)
#
# Parses a topology file, finds the zaf programs, starts processes in the
# background and records them, and stops exactly the processes it recorded.
#
# The topology file format (see README.md in this folder):
#
#   # comment (a '#' starts a comment anywhere on a line)
#   name    three                       # optional; default: file name minus .topo
#   path    /opt/zaf                    # optional; the tree holding bin/ and lib/
#   broker  tcp://10.77.0.1:5555 [KEY=VALUE]...   # or: broker HOST PORT [KEY=VALUE]...
#   node    NAME [KEY=VALUE]...         # one line per node
#   client  [host=ADDRESS]              # optional; netns.sh's client machine
#
#   broker keys: bind=ENDPOINT heartbeat-ms=N ssh=DESTINATION
#   node keys:   host=HOST cpus=N modules=A.so,B.so ssh=DESTINATION
#
# Fields are separated by blanks; there is no quoting, so values cannot
# contain blanks. Port 0 lets the broker pick a free port (local.sh,
# netns.sh, and ssh.sh without --dry-run read the real one back).
#
# The caller sets PROG (its name, for messages) before sourcing.

TOPO_SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)

die () {
    printf '%s: %s\n' "$PROG" "$*" >&2
    exit 1
}

say () {
    printf '%s: %s\n' "$PROG" "$*" >&2
}

#   Seconds to wait for the cluster to come up, and for processes to stop
#   after SIGTERM before SIGKILL
ZAF_UP_TIMEOUT=${ZAF_UP_TIMEOUT:-30}
ZAF_STOP_TIMEOUT=${ZAF_STOP_TIMEOUT:-15}
[[ $ZAF_UP_TIMEOUT =~ ^[0-9]+$ ]] || die "ZAF_UP_TIMEOUT must be a whole number of seconds"
[[ $ZAF_STOP_TIMEOUT =~ ^[0-9]+$ ]] || die "ZAF_STOP_TIMEOUT must be a whole number of seconds"

# ---------------------------------------------------------------------------
# Parsing

TOPO_NAME_RE='^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$'

#   topo_parse FILE: fill TOPO_* BROKER_* CLIENT_* and the NODE_* arrays
topo_parse () {
    local file=$1
    [ -f "$file" ] || die "no topology file '$file'"
    [ -r "$file" ] || die "cannot read topology file '$file'"
    TOPO_FILE=$(cd "$(dirname "$file")" && pwd -P)/$(basename "$file")
    TOPO_DIR=$(dirname "$TOPO_FILE")
    TOPO_NAME=$(basename "$file")
    TOPO_NAME=${TOPO_NAME%.topo}
    TOPO_PATH=
    BROKER_HOST= BROKER_PORT= BROKER_BIND= BROKER_HB= BROKER_SSH=
    CLIENT_HOST= CLIENT_SET=
    NODE_NAMES=() NODE_HOSTS=() NODE_CPUS=() NODE_MODULES=() NODE_SSH=()
    local line lineno=0 where words key value name host cpus modules ssh seen_name=
    while IFS= read -r line || [ -n "$line" ]; do
        lineno=$((lineno + 1))
        where="$file:$lineno"
        line=${line%%#*}
        read -r -a words <<< "$line" || true
        [ ${#words[@]} -gt 0 ] || continue
        case ${words[0]} in
        name)
            [ ${#words[@]} -eq 2 ] || die "$where: 'name' takes one value: name NAME"
            [ -z "$seen_name" ] || die "$where: a second 'name' line"
            TOPO_NAME=${words[1]}
            seen_name=1
            ;;
        path)
            [ ${#words[@]} -eq 2 ] || die "$where: 'path' takes one directory: path DIR"
            TOPO_PATH=${words[1]}
            ;;
        broker)
            [ -z "$BROKER_HOST" ] || die "$where: a second 'broker' line (a topology has one broker)"
            [ ${#words[@]} -ge 2 ] || die "$where: 'broker' needs an address: broker tcp://HOST:PORT or broker HOST PORT"
            local rest=2
            if [[ ${words[1]} == tcp://* ]]; then
                local ep=${words[1]#tcp://}
                [[ $ep == *:* ]] || die "$where: broker endpoint '${words[1]}' has no port"
                BROKER_HOST=${ep%:*}
                BROKER_PORT=${ep##*:}
            elif [[ ${words[1]} == *://* ]]; then
                die "$where: broker endpoint '${words[1]}': only tcp:// endpoints are supported"
            else
                [ ${#words[@]} -ge 3 ] && [[ ${words[2]} != *=* ]] \
                    || die "$where: 'broker ${words[1]}' needs a port: broker HOST PORT"
                BROKER_HOST=${words[1]}
                BROKER_PORT=${words[2]}
                rest=3
            fi
            [ -n "$BROKER_HOST" ] || die "$where: broker host is empty"
            [[ $BROKER_PORT =~ ^[0-9]+$ ]] && [ "$BROKER_PORT" -le 65535 ] \
                || die "$where: broker port must be 0-65535, not '$BROKER_PORT'"
            BROKER_PORT=$((10#$BROKER_PORT))
            local word
            for word in "${words[@]:$rest}"; do
                [[ $word == *=* ]] || die "$where: expected KEY=VALUE, not '$word'"
                key=${word%%=*} value=${word#*=}
                [ -n "$value" ] || die "$where: $key= is empty"
                case $key in
                bind)
                    [[ $value == tcp://*:* ]] || die "$where: bind= must be a tcp://HOST:PORT endpoint, not '$value'"
                    BROKER_BIND=$value ;;
                heartbeat-ms)
                    [[ $value =~ ^[0-9]+$ ]] && [ "$value" -ge 10 ] \
                        || die "$where: heartbeat-ms= must be a whole number of at least 10, not '$value'"
                    BROKER_HB=$value ;;
                ssh) BROKER_SSH=$value ;;
                *) die "$where: unknown broker key '$key' (known: bind, heartbeat-ms, ssh)" ;;
                esac
            done
            ;;
        node)
            [ ${#words[@]} -ge 2 ] || die "$where: 'node' needs a name: node NAME [host=H] [cpus=N] [modules=A.so,B.so]"
            name=${words[1]}
            [[ $name =~ $TOPO_NAME_RE ]] \
                || die "$where: node name '$name' must be 1-40 of A-Z a-z 0-9 _ . - (starting with a letter or digit)"
            local existing
            for existing in ${NODE_NAMES[@]+"${NODE_NAMES[@]}"}; do
                [ "$existing" != "$name" ] || die "$where: a second node named '$name'"
            done
            host= cpus= modules= ssh=
            local word
            for word in "${words[@]:2}"; do
                [[ $word == *=* ]] || die "$where: expected KEY=VALUE, not '$word'"
                key=${word%%=*} value=${word#*=}
                [ -n "$value" ] || die "$where: $key= is empty"
                case $key in
                host) host=$value ;;
                cpus)
                    [[ $value =~ ^[0-9]+$ ]] && [ "$value" -ge 1 ] && [ "$value" -le 1024 ] \
                        || die "$where: cpus= must be a whole number from 1 to 1024, not '$value'"
                    cpus=$value ;;
                modules|module)
                    [[ $value != *,,* && $value != ,* && $value != *, ]] \
                        || die "$where: modules= has an empty entry: '$value'"
                    modules=${modules:+$modules,}$value ;;
                ssh) ssh=$value ;;
                *) die "$where: unknown node key '$key' (known: host, cpus, modules, ssh)" ;;
                esac
            done
            NODE_NAMES+=("$name") NODE_HOSTS+=("$host") NODE_CPUS+=("$cpus")
            NODE_MODULES+=("$modules") NODE_SSH+=("$ssh")
            ;;
        client)
            [ -z "$CLIENT_SET" ] || die "$where: a second 'client' line"
            CLIENT_SET=1
            local word
            for word in "${words[@]:1}"; do
                [[ $word == host=?* ]] || die "$where: 'client' takes only host=ADDRESS, not '$word'"
                CLIENT_HOST=${word#host=}
            done
            ;;
        *)
            die "$where: unknown line '${words[0]}' (expected name, path, broker, node or client)"
            ;;
        esac
    done < "$file"
    [[ $TOPO_NAME =~ $TOPO_NAME_RE ]] \
        || die "$file: topology name '$TOPO_NAME' must be 1-40 of A-Z a-z 0-9 _ . - (set it with a 'name' line)"
    [ -n "$BROKER_HOST" ] || die "$file: no 'broker' line (e.g. broker tcp://127.0.0.1:5555)"
    return 0
}

#   topo_prefix OVERRIDE: the directory holding bin/ and lib/: OVERRIDE
#   (--path), else the file's 'path' line (relative to the file), else
#   $ZAF_PREFIX, else the build tree next to this script (../../build).
#   Sets ZAF_DIR and ZAF_DIR_FROM.
topo_prefix () {
    local override=$1
    if [ -n "$override" ]; then
        ZAF_DIR=$override ZAF_DIR_FROM="--path"
    elif [ -n "$TOPO_PATH" ]; then
        ZAF_DIR=$TOPO_PATH ZAF_DIR_FROM="the 'path' line of $TOPO_FILE"
        [[ $ZAF_DIR == /* ]] || ZAF_DIR=$TOPO_DIR/$ZAF_DIR
    elif [ -n "${ZAF_PREFIX:-}" ]; then
        ZAF_DIR=$ZAF_PREFIX ZAF_DIR_FROM="ZAF_PREFIX"
    else
        ZAF_DIR=$TOPO_SCRIPT_DIR/../../build ZAF_DIR_FROM="the default (the build tree next to $PROG)"
    fi
}

#   topo_check_local_tree: ZAF_DIR must hold the programs and every module
#   (for the scripts that run zaf on this machine); makes ZAF_DIR absolute
topo_check_local_tree () {
    [ -d "$ZAF_DIR" ] || die "no directory '$ZAF_DIR' (from $ZAF_DIR_FROM); build zaf, or give the tree holding bin/ and lib/ with --path DIR, a 'path' line or ZAF_PREFIX"
    ZAF_DIR=$(cd "$ZAF_DIR" && pwd -P)
    local program
    for program in zaf-broker zaf-node; do
        [ -x "$ZAF_DIR/bin/$program" ] \
            || die "no $ZAF_DIR/bin/$program (tree from $ZAF_DIR_FROM); build zaf or fix the path"
    done
    local index module missing=
    for index in ${NODE_NAMES[@]+"${!NODE_NAMES[@]}"}; do
        topo_modules "$index"
        for module in ${MODULE_PATHS[@]+"${MODULE_PATHS[@]}"}; do
            [ -f "$module" ] || missing="$missing $module (node ${NODE_NAMES[$index]})"
        done
    done
    [ -z "$missing" ] || die "missing module(s):$missing; modules resolve relative to $ZAF_DIR/lib"
    return 0
}

#   topo_modules INDEX: set MODULE_PATHS to the node's module paths;
#   relative names resolve against $ZAF_DIR/lib
topo_modules () {
    local list=${NODE_MODULES[$1]} module names
    MODULE_PATHS=()
    IFS=, read -r -a names <<< "$list" || true
    for module in ${names[@]+"${names[@]}"}; do
        if [[ $module == /* ]]; then
            MODULE_PATHS+=("$module")
        else
            MODULE_PATHS+=("$ZAF_DIR/lib/$module")
        fi
    done
}

#   topo_node_args INDEX ENDPOINT: set NODE_ARGS to the zaf-node arguments
#   for a node
topo_node_args () {
    local index=$1 endpoint=$2 module
    NODE_ARGS=(--broker "$endpoint" --name "${NODE_NAMES[$index]}")
    [ -z "${KEY_DIR:-}" ] || NODE_ARGS+=(--broker-key "$KEY_DIR/broker.cert"
                                         --key "$KEY_DIR/node-${NODE_NAMES[$index]}.cert_secret")
    [ -z "${NODE_CPUS[$index]}" ] || NODE_ARGS+=(--cpus "${NODE_CPUS[$index]}")
    topo_modules "$index"
    for module in ${MODULE_PATHS[@]+"${MODULE_PATHS[@]}"}; do
        NODE_ARGS+=(--module "$module")
    done
}

#   topo_keys DIR [ZAF]: the cluster's CURVE keys, written once with zaf
#   keygen (docs/SECURITY.md): broker, admin, driver, and node-NAME for each
#   node. The broker gets --keys DIR, each node its own key, drivers and the
#   CLI ZAF_KEY_DIR=DIR (driver.cert_secret; the CLI admin.cert_secret).
#   ZAF is the zaf program to run (default $ZAF_DIR/bin/zaf). Sets KEY_DIR.
topo_keys () {
    KEY_DIR=$1
    local zaf=${2:-$ZAF_DIR/bin/zaf}
    [ -x "$zaf" ] || die "no $zaf to write the cluster's keys with"
    mkdir -p "$KEY_DIR" && chmod 700 "$KEY_DIR" || die "cannot make the key directory $KEY_DIR"
    local key role
    for key in $(topo_key_names); do
        case $key in node-*) role=node ;; *) role=$key ;; esac
        [ -f "$KEY_DIR/$key.cert_secret" ] && continue
        "$zaf" keygen --role "$role" --out "$KEY_DIR" "$key" > /dev/null \
            || die "cannot write the key $key in $KEY_DIR"
    done
}

#   topo_key_names: the names of the cluster's keys, one a line
topo_key_names () {
    local name
    printf '%s\n' broker admin driver
    for name in ${NODE_NAMES[@]+"${NODE_NAMES[@]}"}; do
        printf 'node-%s\n' "$name"
    done
}

#   topo_dial_endpoint ENDPOINT: what nodes and drivers dial for a bound
#   endpoint (a wildcard bind is dialled on the loopback)
topo_dial_endpoint () {
    local endpoint=$1
    case $endpoint in
    tcp://0.0.0.0:*|tcp://\*:*) printf 'tcp://127.0.0.1:%s\n' "${endpoint##*:}" ;;
    tcp://\[::\]:*)              printf 'tcp://[::1]:%s\n' "${endpoint##*:}" ;;
    *)                           printf '%s\n' "$endpoint" ;;
    esac
}

#   topo_default_run_dir SUFFIX: $XDG_RUNTIME_DIR/zaf/NAME[SUFFIX] or
#   ./.zaf-run/NAME[SUFFIX]
topo_default_run_dir () {
    if [ -n "${XDG_RUNTIME_DIR:-}" ] && [ -d "${XDG_RUNTIME_DIR:-}" ]; then
        printf '%s\n' "$XDG_RUNTIME_DIR/zaf/$TOPO_NAME$1"
    else
        printf '%s\n' "$PWD/.zaf-run/$TOPO_NAME$1"
    fi
}

# ---------------------------------------------------------------------------
# Processes on this machine. A record file holds "PID STARTTIME": the start
# time (from /proc) tells our process apart from a later one that got the
# same pid, so stopping never hits a stranger.

#   proc_field PID N: field N (3 = state, 22 = start time) of /proc/PID/stat
proc_field () {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    local fields
    read -r -a fields <<< "$stat"
    printf '%s\n' "${fields[$(($2 - 3))]}"
}

#   pid_alive PID [STARTTIME]: running (a zombie counts as gone) and, when
#   STARTTIME is given, the same process that was recorded
pid_alive () {
    local pid=$1 start=${2:-}
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    if [ ! -r /proc/self/stat ]; then
        kill -0 "$pid" 2>/dev/null
        return
    fi
    local state now
    state=$(proc_field "$pid" 3) || return 1
    case $state in Z|X|x) return 1 ;; esac
    if [ -n "$start" ] && [ "$start" != "-" ]; then
        now=$(proc_field "$pid" 22) || return 1
        [ "$now" = "$start" ] || return 1
    fi
    return 0
}

#   record_pid FILE PID: write FILE as "PID STARTTIME"
record_pid () {
    local start
    start=$(proc_field "$2" 22 2>/dev/null) || start=-
    printf '%s %s\n' "$2" "${start:--}" > "$1"
}

#   record_alive FILE: the recorded process is still running
record_alive () {
    local pid start
    read -r pid start < "$1" 2>/dev/null || return 1
    pid_alive "$pid" "$start"
}

record_pid_of () {
    local pid start
    read -r pid start < "$1" 2>/dev/null || return 1
    printf '%s\n' "$pid"
}

#   start_bg RECORD OUT ERR COMMAND [ARG]...: start COMMAND in the
#   background in a session of its own (so it outlives this script and a
#   terminal hangup), stdin from /dev/null, stdout to OUT and stderr to ERR
#   (the same file is fine), and record its pid
START_SETSID=
command -v setsid > /dev/null 2>&1 && START_SETSID=setsid
start_bg () {
    local record=$1 out=$2 err=$3
    shift 3
    if [ "$out" = "$err" ]; then
        $START_SETSID "$@" > "$out" 2>&1 < /dev/null &
    else
        $START_SETSID "$@" > "$out" 2> "$err" < /dev/null &
    fi
    record_pid "$record" "$!"
    LAST_PID=$!
}

#   stop_records FILE...: SIGTERM every recorded process still running,
#   wait up to ZAF_STOP_TIMEOUT s, SIGKILL the rest, and delete the records
#   of the processes that are gone. Fails if one survives SIGKILL.
stop_records () {
    local file pid start pending=() labels=()
    for file in "$@"; do
        [ -f "$file" ] || continue
        read -r pid start < "$file" 2>/dev/null || { rm -f "$file"; continue; }
        if pid_alive "$pid" "$start"; then
            say "stopping $(basename "${file%.pid}") (pid $pid)"
            kill -TERM "$pid" 2>/dev/null || true
            pending+=("$file")
        else
            rm -f "$file"
        fi
    done
    [ ${#pending[@]} -gt 0 ] || return 0
    local tick=0 ticks=$((ZAF_STOP_TIMEOUT * 10)) left
    while :; do
        left=()
        for file in "${pending[@]}"; do
            if record_alive "$file"; then left+=("$file"); else rm -f "$file"; fi
        done
        pending=("${left[@]+"${left[@]}"}")
        [ ${#pending[@]} -gt 0 ] || return 0
        [ $tick -lt $ticks ] || break
        sleep 0.1
        tick=$((tick + 1))
    done
    for file in "${pending[@]}"; do
        read -r pid start < "$file"
        say "$(basename "${file%.pid}") (pid $pid) still running after ${ZAF_STOP_TIMEOUT} s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    done
    for tick in $(seq 50); do
        left=()
        for file in "${pending[@]}"; do
            if record_alive "$file"; then left+=("$file"); else rm -f "$file"; fi
        done
        pending=("${left[@]+"${left[@]}"}")
        [ ${#pending[@]} -gt 0 ] || return 0
        sleep 0.1
    done
    say "could not stop: ${pending[*]}"
    return 1
}

#   wait_listening RECORD OUT LOG: wait until the broker printed its
#   'listening ENDPOINT' line on OUT; set BOUND_ENDPOINT. Fails with the
#   end of LOG if the broker exits or the wait times out.
wait_listening () {
    local record=$1 out=$2 log=$3 tick=0 line
    while :; do
        line=$(grep -m 1 '^listening ' "$out" 2>/dev/null || true)
        if [ -n "$line" ]; then
            BOUND_ENDPOINT=${line#listening }
            return 0
        fi
        if ! record_alive "$record"; then
            say "the broker exited before it was listening; end of $log:"
            tail -n 20 "$log" >&2 || true
            return 1
        fi
        if [ $tick -ge $((ZAF_UP_TIMEOUT * 10)) ]; then
            say "the broker did not print 'listening' within $ZAF_UP_TIMEOUT s; end of $log:"
            tail -n 20 "$log" >&2 || true
            return 1
        fi
        sleep 0.1
        tick=$((tick + 1))
    done
}

#   wait_registered RECORD LOG NAME: wait until node NAME logged that the
#   broker registered it
wait_registered () {
    local record=$1 log=$2 name=$3 tick=0
    while :; do
        if grep -qF "zaf_node: registered name=$name " "$log" 2>/dev/null; then
            return 0
        fi
        if grep -q "broker refused HELLO" "$log" 2>/dev/null; then
            say "the broker refused node $name; end of $log:"
            tail -n 20 "$log" >&2 || true
            return 1
        fi
        if ! record_alive "$record"; then
            say "node $name exited before it registered; end of $log:"
            tail -n 20 "$log" >&2 || true
            return 1
        fi
        if [ $tick -ge $((ZAF_UP_TIMEOUT * 10)) ]; then
            say "node $name did not register within $ZAF_UP_TIMEOUT s; end of $log:"
            tail -n 20 "$log" >&2 || true
            return 1
        fi
        sleep 0.1
        tick=$((tick + 1))
    done
}

#   shq WORD: WORD quoted for a POSIX shell, bare when it is safe
shq () {
    if [[ $1 =~ ^[A-Za-z0-9_./:=@,+%-]+$ ]]; then
        printf '%s' "$1"
    else
        printf "'%s'" "${1//\'/\'\\\'\'}"
    fi
}

#   shq_words WORD...: the words quoted and joined by blanks
shq_words () {
    local word sep=
    for word in "$@"; do
        printf '%s' "$sep"
        shq "$word"
        sep=' '
    done
}
