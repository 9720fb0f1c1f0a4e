/*  =========================================================================
    zaf_metrics - what an actor measures about itself, and how it is read

    One zaf_metrics_actor_t lives in each actor's control block, which the
    node and the actor share (for an actor process, in their shared
    memory). The actor thread is the only writer of the call counters and
    the per-method latency histograms; the node thread is the only writer
    of the mailbox high-water mark; either side reads with relaxed atomic
    loads, so a reader sees each counter whole, never the set as one
    instant. Fixed size, no pointers, no locks: a busy actor pays two
    clock reads and a few atomic adds per call.

    Latency goes into ZAF_METRICS_BUCKETS fixed buckets (upper bounds in
    zaf_metrics_bucket_le); p50 and p99 are read off the buckets as the
    upper bound of the bucket holding that rank. The first
    ZAF_METRICS_METHODS distinct method names get a histogram each; calls
    to further methods count in the last slot, named "(other)".

    This file also renders one actor's metrics as the JSON a node reports
    on its heartbeat (docs/PROTOCOL.md section 8.2).
    =========================================================================
*/

#ifndef ZAF_METRICS_H_INCLUDED
#define ZAF_METRICS_H_INCLUDED

#include <stdatomic.h>

#define ZAF_METRICS_BUCKETS         13      //  12 bounds and +Inf
#define ZAF_METRICS_METHODS         8       //  Histograms per actor
#define ZAF_METRICS_METHOD_NAME     32      //  Longest method name kept
#define ZAF_METRICS_REPORT_ACTORS   100     //  Actors in one node report
#define ZAF_METRICS_REPORT_MAX      (128 * 1024)    //  Largest report read

//  One method's histogram. name is written once, before used is set.
typedef struct {
    atomic_bool used;
    char name [ZAF_METRICS_METHOD_NAME];
    atomic_uint_fast64_t calls;
    atomic_uint_fast64_t failed;
    atomic_uint_fast64_t sum_us;                    //  Total time in it
    atomic_uint_fast64_t buckets [ZAF_METRICS_BUCKETS];
} zaf_metrics_method_t;

//  One actor's metrics (zero-initialised memory is a valid empty set).
typedef struct {
    atomic_uint_fast64_t calls;         //  Calls and tells served
    atomic_uint_fast64_t failed;        //  Those that ended in an error
    atomic_uint_fast64_t hwm;           //  Most messages ever queued (node)
    atomic_uint_fast64_t changes;       //  Bumped on every call served
    zaf_metrics_method_t methods [ZAF_METRICS_METHODS];
} zaf_metrics_actor_t;

//  The upper bound of bucket index in seconds (+Inf for the last).
double
    zaf_metrics_bucket_le (int index);

//  The bucket a duration in microseconds falls in.
int
    zaf_metrics_bucket_of (uint64_t micros);

//  The upper bound (seconds) of the bucket holding quantile q (0..1) of
//  the counts, or 0 if they are all zero. The +Inf bucket reads as the
//  largest finite bound.
double
    zaf_metrics_quantile (const uint64_t *buckets, double q);

//  The actor served a call or tell of method, taking micros; failed if it
//  ended in an error. Actor thread only.
void
    zaf_metrics_record (zaf_metrics_actor_t *self, const char *method, uint64_t micros,
                        bool failed);

//  The node queued a message for the actor; depth counts it. Node only.
void
    zaf_metrics_note_depth (zaf_metrics_actor_t *self, uint64_t depth);

//  Change counter, for a reporter to tell which actors moved.
uint64_t
    zaf_metrics_changes (zaf_metrics_actor_t *self);

//  One actor's metrics as a JSON object the caller owns:
//  {"id","calls","failed","mailbox","hwm","methods":{name:{"calls",
//  "failed","sum_us","buckets":[...]}}}; mailbox is the caller's count of
//  messages forwarded and not yet served.
cJSON *
    zaf_metrics_actor_json (zaf_metrics_actor_t *self, const char *actor_id, uint64_t mailbox);

//  Resident set size of this process in bytes (0 if unknown).
uint64_t
    zaf_metrics_rss (void);

#endif
