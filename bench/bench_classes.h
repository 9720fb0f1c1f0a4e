/*  =========================================================================
    bench_classes.h - private umbrella header of zaf-bench

    Every .c file of the benchmark program includes this header first. It
    pulls in libzmq, czmq, cJSON, the public zaf API and the bench headers
    in layer order: each uses only those above it. The benchmark uses only
    zaf's public API (zaf.h); the floor uses only libzmq, and for the
    application's own work (printing arguments, parsing them and answers)
    the JSON codec zaf uses on its path (zaf_json_print, zaf_json_parse,
    from libzaf's zaf_json.h), so that both sides do the same work per call
    whatever that codec costs.
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
#include "zaf_json.h"         //  Not public: the codec, for the floor

#include "bench_stats.h"
#include "bench_proc.h"
#include "bench_actors.h"
#include "bench_floor.h"
#include "bench_result.h"
#include "bench_rig.h"
#include "bench_measure.h"
#include "bench_scenarios.h"
#include "bench_reader.h"

#endif
