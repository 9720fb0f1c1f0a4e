#!/bin/sh
# Build the fuzz targets with clang (libFuzzer, ASan, UBSan) in a build
# tree of their own and run each for a bounded time over a copy of its seed
# corpus and regression inputs (the source tree is never written).
#
#   run.sh SOURCE_DIR WORK_DIR [SECONDS]
#
# SECONDS per target: the argument, else $ZAF_FUZZ_SECONDS, else 40.
# Exit 77 (skipped) where clang cannot build a libFuzzer program (Debian:
# clang and libclang-rt-14-dev, see .ci/install-deps). Exit 1 if a target
# failed: the input that did it is in WORK_DIR/artifacts/; copy it into
# tests/fuzz/regressions/<target>/ with the fix, so that the ordinary
# fuzz_replay_<target> test keeps it fixed.
set -eu
src=$1
work=$2
seconds=${3:-${ZAF_FUZZ_SECONDS:-40}}
cc=${ZAF_FUZZ_CC:-clang}

command -v "$cc" >/dev/null 2>&1 || { echo "fuzz: no $cc; skipped"; exit 77; }
mkdir -p "$work"
probe="$work/probe.c"
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput (const uint8_t *d, size_t n) { (void) d; (void) n; return 0; }' > "$probe"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe" -o "$work/probe" >/dev/null 2>&1; then
    echo "fuzz: $cc cannot build a libFuzzer program (libclang-rt-14-dev missing?); skipped"
    exit 77
fi

cmake -S "$src/tests/fuzz" -B "$work/build" -DCMAKE_C_COMPILER="$cc" \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZAF_SOURCE_DIR="$src" >/dev/null
nice cmake --build "$work/build" -j2 >/dev/null

failed=0
for target in proto json; do
    corpus="$work/corpus/$target"
    rm -rf "$corpus"
    mkdir -p "$corpus" "$work/artifacts"
    cp "$src/tests/fuzz/corpus/$target/"* "$corpus/"
    if [ -d "$src/tests/fuzz/regressions/$target" ]; then
        find "$src/tests/fuzz/regressions/$target" -type f -exec cp {} "$corpus/" \;
    fi
    echo "fuzz: $target for $seconds s"
    if nice "$work/build/fuzz_$target" -max_total_time="$seconds" -rss_limit_mb=2048 \
            -timeout=10 -print_final_stats=1 \
            -artifact_prefix="$work/artifacts/$target-" "$corpus" > "$work/$target.log" 2>&1; then
        grep -E '^stat::number_of_executed_units|^stat::new_units_added|cov:' "$work/$target.log" | tail -3
    else
        echo "fuzz: $target FAILED; its log: $work/$target.log"
        grep -E 'ERROR|runtime error|Test unit written' "$work/$target.log" | head -5
        failed=1
    fi
done
exit $failed
