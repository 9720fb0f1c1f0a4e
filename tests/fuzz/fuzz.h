/*  =========================================================================
    fuzz.h - the entry point every fuzz target defines

    Each target (tests/fuzz/fuzz_<target>.c) defines LLVMFuzzerTestOneInput.
    Built with clang and -fsanitize=fuzzer it is a libFuzzer program
    (tests/fuzz/run.sh); built with replay.c by any compiler it is a
    program that feeds it every file under the directories it is given
    (the seed corpus and the regression inputs), as an ordinary test.
    =========================================================================
*/

#ifndef ZAF_FUZZ_H_INCLUDED
#define ZAF_FUZZ_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

int
    LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#endif
