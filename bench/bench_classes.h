/*  =========================================================================
    bench_classes.h - private umbrella header of zaf-bench

    Every .c file of the benchmark program includes this header first. It
    pulls in libzmq, czmq, cJSON, the public zaf API and the bench headers
    in layer order: each uses only those above it. The benchmark uses only
    zaf's public API (zaf.h); the floor uses only libzmq.
    =========================================================================
*/

#ifndef BENCH_CLASSES_H_INCLUDED
#define BENCH_CLASSES_H_INCLUDED

#include <czmq.h>
#include <zmq.h>
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include "zaf.h"

#include "bench_stats.h"
#include "bench_proc.h"
#include "bench_actors.h"
#include "bench_floor.h"
#include "bench_result.h"
#include "bench_rig.h"
#include "bench_measure.h"
#include "bench_scenarios.h"

#endif
