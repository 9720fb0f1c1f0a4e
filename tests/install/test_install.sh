#!/bin/sh
# Install zaf into a scratch prefix, then build an actor module and a driver
# out of tree with nothing but `pkg-config --cflags --libs zaf`, load the
# module into the installed zaf-node, and run the driver against the
# installed zaf-broker. Usage: test_install.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1
here=$2
work=$(mktemp -d)
pids=""
cleanup () {
    for pid in $pids; do kill -9 "$pid" 2>/dev/null || true; done
    for pid in $pids; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# Run a step; on failure say which one and show what it printed
step () {
    what=$1; shift
    if ! "$@" > "$work/step.log" 2>&1; then
        echo "install test: $what failed:"; cat "$work/step.log"; exit 1
    fi
}

step "cmake --install" cmake --install "$build" --prefix "$work/prefix"
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
step "pkg-config" pkg-config --exists zaf
cflags=$(pkg-config --cflags zaf)
# A sanitized libzaf needs its runtime linked into what uses it
if [ -n "${ZAF_SANITIZE:-}" ]; then cflags="$cflags -fsanitize=$ZAF_SANITIZE"; fi
libs=$(pkg-config --libs zaf)
echo "pkg-config: $cflags $libs"
step "building the module" cc -std=gnu11 -Wall -Werror -fPIC -shared -o "$work/libgreeter.so" \
    "$here/greeter_module.c" $cflags $libs
step "building the driver" cc -std=gnu11 -Wall -Werror -o "$work/greeter" \
    "$here/greeter_driver.c" $cflags $libs -Wl,-rpath,"$work/prefix/lib"

"$work/prefix/bin/zaf-broker" --bind 'tcp://127.0.0.1:0' > "$work/broker.out" 2> "$work/broker.err" &
pids="$pids $!"
for i in $(seq 1 100); do
    endpoint=$(awk '/^listening/ {print $2; exit}' "$work/broker.out")
    [ -n "$endpoint" ] && break
    sleep 0.1       # poll interval: up to 100 tries (10 s) for the line
done
[ -n "$endpoint" ] || { echo "broker did not start"; cat "$work/broker.err"; exit 1; }
"$work/prefix/bin/zaf-node" --broker "$endpoint" --name outside --module "$work/libgreeter.so" \
    2> "$work/node.err" &
pids="$pids $!"
out=$(timeout 60 "$work/greeter" "$endpoint" 2> "$work/greeter.err") || {
    echo "install test: the driver failed:"; cat "$work/greeter.err"; cat "$work/node.err"; exit 1; }
echo "$out"
echo "$out" | grep -q "Hello, installed zaf! (greeting 2)" || {
    echo "driver output is not what the module answers"; cat "$work/node.err"; exit 1; }
echo "install test passed"
