/*  =========================================================================
    bench_measure - how a side of a scenario is measured

    A plan says how long a slice of measuring lasts (or how many
    operations) and by when it must be done; a side adds up what its
    slices measured: operations, time, latency samples, or why it failed.
    A scenario alternates slices of the floor and of zaf, so that both
    sides see the same noise from the rest of the machine.

    The loops drive one kind of operation through zaf (a function that
    issues it and returns its future) or through the floor (a function
    that sends it with a correlation id): one at a time (sync), or with a
    window in flight (async). Every wait is bounded by the plan's
    deadline. Runs in the thread that measures; sides are not shared.
    =========================================================================
*/

#include "bench_classes.h"

#define SIDE_GRACE_MS       30000       //  Past the planned duration
#define COUNT_DEADLINE_MS   120000      //  For --calls runs
#define MAX_SAMPLES         (2 * 1000 * 1000)
#define SENT_RING           65536       //  Floor send times, by corr

//  --------------------------------------------------------------------------
//  Plans and sides

void
bench_plan_start (bench_plan_t *plan, const bench_opts_t *opts)
{
    assert (plan && opts);
    plan->start = bench_now_ns ();
    plan->max_ops = opts->calls;
    plan->end = plan->start + (int64_t) opts->duration_ms * 1000000;
    plan->deadline = opts->calls > 0
                   ? plan->start + (int64_t) COUNT_DEADLINE_MS * 1000000
                   : plan->end + (int64_t) SIDE_GRACE_MS * 1000000;
}

bool
bench_plan_more (const bench_plan_t *plan, long done)
{
    assert (plan);
    if (zsys_interrupted)
        return false;
    return plan->max_ops > 0 ? done < plan->max_ops : bench_now_ns () < plan->end;
}

int
bench_plan_left_ms (const bench_plan_t *plan)
{
    assert (plan);
    int64_t left = (plan->deadline - bench_now_ns ()) / 1000000;
    return left > 0 ? (int) left : 0;
}

void
bench_side_init (bench_side_t *side)
{
    assert (side);
    memset (side, 0, sizeof (*side));
    side->lat = bench_lat_new (MAX_SAMPLES);
}

void
bench_side_destroy (bench_side_t *side)
{
    assert (side);
    bench_lat_destroy (&side->lat);
}

void
bench_side_begin (bench_side_t *side)
{
    assert (side);
    side->t0 = side->t1 = bench_now_ns ();
}

void
bench_side_end (bench_side_t *side)
{
    assert (side);
    side->t1 = bench_now_ns ();
    side->timed += side->t1 - side->t0;
}

void
bench_side_fail (bench_side_t *side, const char *format, ...)
{
    assert (side);
    if (side->failed)
        return;
    side->failed = true;
    va_list args;
    va_start (args, format);
    vsnprintf (side->error, sizeof (side->error), format, args);
    va_end (args);
}

void
bench_side_fail_zaf (bench_side_t *side, const char *what, const zaf_error_t *err)
{
    bench_side_fail (side, "%s: %s %s", what, zaf_code_name (err->code), err->message);
}

double
bench_side_seconds (const bench_side_t *side)
{
    assert (side);
    return (double) side->timed / 1e9;
}

double
bench_side_rate (const bench_side_t *side)
{
    double seconds = bench_side_seconds (side);
    return side->ops > 0 && seconds > 0 ? (double) side->ops / seconds : -1;
}

void
bench_side_report (bench_side_t *side, bool zaf, bench_result_t *result)
{
    assert (side && result);
    if (side->failed)
        bench_result_fail (result, "%s: %s", zaf ? "zaf" : "floor", side->error);
    else
    if (zsys_interrupted)
        bench_result_fail (result, "interrupted");
    double rate = side->failed ? -1 : bench_side_rate (side);
    double p50 = bench_lat_percentile (side->lat, 50);
    double p99 = bench_lat_percentile (side->lat, 99);
    if (zaf) {
        result->zaf_per_s = rate;
        result->p50_us = p50;
        result->p99_us = p99;
    }
    else {
        result->floor_per_s = rate;
        result->floor_p50_us = p50;
        result->floor_p99_us = p99;
    }
}

//  --------------------------------------------------------------------------
//  zaf

int
bench_zaf_once (zaf_t *z, bench_issue_fn *issue, void *arg, const bench_plan_t *plan,
                bench_side_t *side)
{
    zaf_future_t *future = issue (z, arg);
    zaf_error_t err;
    cJSON *result = zaf_get (z, &future, bench_plan_left_ms (plan), &err);
    if (!result) {
        zaf_future_destroy (&future);
        bench_side_fail_zaf (side, "call", &err);
        return -1;
    }
    cJSON_Delete (result);
    return 0;
}

void
bench_zaf_sync (zaf_t *z, bench_issue_fn *issue, void *arg, long warmup,
                const bench_opts_t *opts, bench_side_t *side)
{
    bench_plan_t plan;
    bench_plan_start (&plan, opts);
    for (long index = 0; index < warmup && !side->failed; index++)
        bench_zaf_once (z, issue, arg, &plan, side);
    bench_plan_start (&plan, opts);
    bench_side_begin (side);
    for (long done = 0; !side->failed && bench_plan_more (&plan, done); done++) {
        int64_t start = bench_now_ns ();
        if (bench_zaf_once (z, issue, arg, &plan, side))
            break;
        bench_lat_add (side->lat, bench_usecs (start, bench_now_ns ()));
        side->ops++;
    }
    bench_side_end (side);
}

//  `window` in flight: collect the oldest, issue another, until the plan
//  ends; then collect the rest. With record false (warm-up) nothing counts.
static void
s_zaf_window (zaf_t *z, bench_issue_fn *issue, void *arg, size_t window,
              const bench_plan_t *plan, bool record, bench_side_t *side)
{
    zaf_future_t **futures = (zaf_future_t **) calloc (window, sizeof (zaf_future_t *));
    int64_t *sent = (int64_t *) calloc (window, sizeof (int64_t));
    assert (futures && sent);
    size_t head = 0, inflight = 0;
    long issued = 0;
    if (record)
        bench_side_begin (side);
    while (inflight < window && bench_plan_more (plan, issued)) {
        futures [inflight] = issue (z, arg);
        sent [inflight++] = bench_now_ns ();
        issued++;
    }
    while (inflight > 0 && !side->failed) {
        zaf_error_t err;
        cJSON *result = zaf_get (z, &futures [head], bench_plan_left_ms (plan), &err);
        if (!result) {
            bench_side_fail_zaf (side, "call", &err);
            break;
        }
        cJSON_Delete (result);
        if (record) {
            bench_lat_add (side->lat, bench_usecs (sent [head], bench_now_ns ()));
            side->ops++;
        }
        head = (head + 1) % window;
        inflight--;
        if (bench_plan_more (plan, issued)) {
            size_t tail = (head + inflight) % window;
            futures [tail] = issue (z, arg);
            sent [tail] = bench_now_ns ();
            inflight++;
            issued++;
        }
    }
    if (record)
        bench_side_end (side);
    for (size_t index = 0; index < window; index++)
        zaf_future_destroy (&futures [index]);
    free (futures);
    free (sent);
}

void
bench_zaf_async (zaf_t *z, bench_issue_fn *issue, void *arg, size_t window, bool warmup,
                 const bench_opts_t *opts, bench_side_t *side)
{
    bench_plan_t plan;
    if (warmup) {
        bench_opts_t warm = *opts;
        warm.calls = (long) window;
        bench_plan_start (&plan, &warm);
        s_zaf_window (z, issue, arg, window, &plan, false, side);
    }
    bench_plan_start (&plan, opts);
    s_zaf_window (z, issue, arg, window, &plan, true, side);
}

//  --------------------------------------------------------------------------
//  Floor

int
bench_floor_wait (bench_floor_client_t *client, uint64_t corr, const bench_plan_t *plan,
                  bench_side_t *side, bench_floor_answer_t *answer)
{
    while (true) {
        if (bench_floor_client_recv (client, bench_plan_left_ms (plan), answer)) {
            bench_side_fail (side, zsys_interrupted ? "interrupted"
                                                    : "no answer before the deadline");
            return -1;
        }
        if (answer->corr == corr)
            break;
    }
    if (!answer->ok) {
        bench_side_fail (side, "request refused");
        return -1;
    }
    return 0;
}

void
bench_floor_sync (bench_floor_client_t *client, bench_send_fn *send, void *arg, long warmup,
                  const bench_opts_t *opts, bench_side_t *side)
{
    bench_plan_t plan;
    bench_plan_start (&plan, opts);
    bench_floor_answer_t answer;
    for (long index = 0; index < warmup && !side->failed; index++)
        if (send (client, ++side->corr, arg) == 0)
            bench_floor_wait (client, side->corr, &plan, side, &answer);
    bench_plan_start (&plan, opts);
    bench_side_begin (side);
    for (long done = 0; !side->failed && bench_plan_more (&plan, done); done++) {
        int64_t start = bench_now_ns ();
        if (send (client, ++side->corr, arg)) {
            bench_side_fail (side, "send failed");
            break;
        }
        if (bench_floor_wait (client, side->corr, &plan, side, &answer))
            break;
        bench_lat_add (side->lat, bench_usecs (start, bench_now_ns ()));
        side->ops++;
    }
    bench_side_end (side);
}

//  `window` in flight, answers taken as they come (read until EAGAIN,
//  then poll: bench_floor_client_recv does both)
static void
s_floor_window (bench_floor_client_t *client, bench_send_fn *send, void *arg, size_t window,
                const bench_plan_t *plan, bool record, bench_side_t *side)
{
    int64_t *sent = (int64_t *) calloc (SENT_RING, sizeof (int64_t));
    assert (sent);
    size_t inflight = 0;
    long issued = 0;
    if (record)
        bench_side_begin (side);
    while (!side->failed) {
        while (inflight < window && bench_plan_more (plan, issued)) {
            ++side->corr;
            sent [side->corr % SENT_RING] = bench_now_ns ();
            if (send (client, side->corr, arg)) {
                bench_side_fail (side, "send failed");
                break;
            }
            inflight++;
            issued++;
        }
        if (inflight == 0 || side->failed)
            break;
        bench_floor_answer_t answer;
        if (bench_floor_client_recv (client, bench_plan_left_ms (plan), &answer)) {
            bench_side_fail (side, zsys_interrupted ? "interrupted"
                                                    : "no answer before the deadline");
            break;
        }
        if (!answer.ok) {
            bench_side_fail (side, "request refused");
            break;
        }
        inflight--;
        if (record) {
            bench_lat_add (side->lat, bench_usecs (sent [answer.corr % SENT_RING],
                                                   bench_now_ns ()));
            side->ops++;
        }
    }
    if (record)
        bench_side_end (side);
    free (sent);
}

void
bench_floor_async (bench_floor_client_t *client, bench_send_fn *send, void *arg,
                   size_t window, bool warmup, const bench_opts_t *opts, bench_side_t *side)
{
    bench_plan_t plan;
    if (warmup) {
        bench_opts_t warm = *opts;
        warm.calls = (long) window;
        bench_plan_start (&plan, &warm);
        s_floor_window (client, send, arg, window, &plan, false, side);
    }
    bench_plan_start (&plan, opts);
    s_floor_window (client, send, arg, window, &plan, true, side);
}
