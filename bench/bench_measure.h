/*  =========================================================================
    bench_measure - how a side of a scenario is measured

    A plan says how long a side measures (or how many operations) and by
    when it must be done; a side collects what it measured. The loops
    drive one kind of operation through zaf or through the floor, one at a
    time (sync) or with a window in flight (async); every wait is bounded
    by the plan's deadline, and a side that fails says why.
    =========================================================================
*/

#ifndef BENCH_MEASURE_H_INCLUDED
#define BENCH_MEASURE_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <zaf.h>
#include "bench_stats.h"
#include "bench_floor.h"
#include "bench_result.h"
#include "bench_rig.h"

typedef struct {
    int64_t start;              //  ns
    int64_t end;                //  Stop issuing then (duration mode)
    int64_t deadline;           //  Fail past this
    long max_ops;               //  > 0: stop after this many instead
} bench_plan_t;

typedef struct {
    long ops;                   //  Operations measured, all slices
    int64_t timed;              //  Time measured, all slices (ns)
    int64_t t0, t1;             //  Start and end of the last slice (ns)
    bench_lat_t *lat;           //  Latency samples
    uint64_t corr;              //  Floor: last correlation id used
    bool failed;
    char error [BENCH_ERROR_MAX];
} bench_side_t;

//  Issue one zaf operation; return its future (never NULL)
typedef zaf_future_t *(bench_issue_fn) (zaf_t *z, void *arg);

//  Send one floor request with correlation id corr; return 0 or -1
typedef int (bench_send_fn) (bench_floor_client_t *client, uint64_t corr, void *arg);

//  Start a plan for one slice now: opts->duration_ms of measuring (or
//  opts->calls operations), with a deadline some time after.
void
    bench_plan_start (bench_plan_t *plan, const bench_opts_t *opts);

//  Return true if another operation should be issued, `done` having been
//  issued (false once interrupted).
bool
    bench_plan_more (const bench_plan_t *plan, long done);

//  Return the milliseconds left before the plan's deadline (>= 0).
int
    bench_plan_left_ms (const bench_plan_t *plan);

//  Prepare a side (it owns a sample set); bench_side_destroy frees it.
void
    bench_side_init (bench_side_t *side);
void
    bench_side_destroy (bench_side_t *side);

//  Start and end a slice: its time is added to the side's.
void
    bench_side_begin (bench_side_t *side);
void
    bench_side_end (bench_side_t *side);

//  Mark a side failed (the first reason is kept).
void
    bench_side_fail (bench_side_t *side, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Mark a side failed with a zaf error.
void
    bench_side_fail_zaf (bench_side_t *side, const char *what, const zaf_error_t *err);

//  Return the seconds measured, and operations per second (-1 if none).
double
    bench_side_seconds (const bench_side_t *side);
double
    bench_side_rate (const bench_side_t *side);

//  Copy a side's rate and latencies into result, as zaf's or the floor's;
//  a failed side fails the result.
void
    bench_side_report (bench_side_t *side, bool zaf, bench_result_t *result);

//  Issue one zaf operation and wait for it. Returns 0, or -1 (side failed).
int
    bench_zaf_once (zaf_t *z, bench_issue_fn *issue, void *arg, const bench_plan_t *plan,
                    bench_side_t *side);

//  After `warmup` operations (not counted), issue one at a time for one
//  slice of opts; each round trip is a sample.
void
    bench_zaf_sync (zaf_t *z, bench_issue_fn *issue, void *arg, long warmup,
                    const bench_opts_t *opts, bench_side_t *side);

//  After one window's worth (if warmup; not counted), keep `window`
//  operations in flight for one slice of opts: collect the oldest, issue
//  another; then collect the rest. Each sample is issue to collection.
void
    bench_zaf_async (zaf_t *z, bench_issue_fn *issue, void *arg, size_t window,
                     bool warmup, const bench_opts_t *opts, bench_side_t *side);

//  Wait for the floor's answer to corr (others are dropped). Returns 0, or
//  -1 (side failed) if none came in time or it was a refusal.
int
    bench_floor_wait (bench_floor_client_t *client, uint64_t corr, const bench_plan_t *plan,
                      bench_side_t *side, bench_floor_answer_t *answer);

//  The floor's sync and async loops, as bench_zaf_sync and bench_zaf_async.
void
    bench_floor_sync (bench_floor_client_t *client, bench_send_fn *send, void *arg,
                      long warmup, const bench_opts_t *opts, bench_side_t *side);
void
    bench_floor_async (bench_floor_client_t *client, bench_send_fn *send, void *arg,
                       size_t window, bool warmup, const bench_opts_t *opts,
                       bench_side_t *side);

#endif
