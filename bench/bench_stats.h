/*  =========================================================================
    bench_stats - latency samples and the clock

    A bench_lat_t keeps up to `max` latency samples (microseconds, as
    floats) and answers percentiles. Used by one thread at a time; caller
    threads of nn_async each keep their own and merge them at the end.
    =========================================================================
*/

#ifndef BENCH_STATS_H_INCLUDED
#define BENCH_STATS_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

typedef struct _bench_lat_t bench_lat_t;

//  Create a sample set that keeps at most max samples (later ones are
//  counted but not kept). Caller destroys it.
bench_lat_t *
    bench_lat_new (size_t max);

//  Destroy a sample set; nulls the pointer.
void
    bench_lat_destroy (bench_lat_t **self_p);

//  Add one sample, in microseconds.
void
    bench_lat_add (bench_lat_t *self, double usecs);

//  Add every sample of other to self.
void
    bench_lat_merge (bench_lat_t *self, const bench_lat_t *other);

//  Return how many samples were kept.
size_t
    bench_lat_size (const bench_lat_t *self);

//  Return the pct-th percentile (0..100, nearest rank) in microseconds,
//  or -1 if there are no samples. Sorts the samples in place.
double
    bench_lat_percentile (bench_lat_t *self, double pct);

//  Monotonic clock in nanoseconds.
int64_t
    bench_now_ns (void);

//  Microseconds between two bench_now_ns readings.
double
    bench_usecs (int64_t from_ns, int64_t to_ns);

#endif
