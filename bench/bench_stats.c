/*  =========================================================================
    bench_stats - latency samples and the clock

    Samples are kept raw (4 bytes each) and sorted once, when the first
    percentile is asked; the bound keeps a long async run from growing
    without limit.
    =========================================================================
*/

#include "bench_classes.h"

struct _bench_lat_t {
    float *samples;             //  Microseconds
    size_t size;                //  Samples kept
    size_t max;                 //  Samples we may keep
    bool sorted;                //  samples is in order
};

bench_lat_t *
bench_lat_new (size_t max)
{
    bench_lat_t *self = (bench_lat_t *) zmalloc (sizeof (bench_lat_t));
    assert (self);
    self->max = max > 0 ? max : 1;
    self->samples = (float *) malloc (self->max * sizeof (float));
    assert (self->samples);
    return self;
}

void
bench_lat_destroy (bench_lat_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        bench_lat_t *self = *self_p;
        free (self->samples);
        free (self);
        *self_p = NULL;
    }
}

void
bench_lat_add (bench_lat_t *self, double usecs)
{
    assert (self);
    if (self->size < self->max) {
        self->samples [self->size++] = (float) usecs;
        self->sorted = false;
    }
}

void
bench_lat_merge (bench_lat_t *self, const bench_lat_t *other)
{
    assert (self);
    assert (other);
    for (size_t index = 0; index < other->size; index++)
        bench_lat_add (self, other->samples [index]);
}

size_t
bench_lat_size (const bench_lat_t *self)
{
    assert (self);
    return self->size;
}

static int
s_compare (const void *one, const void *two)
{
    float a = *(const float *) one, b = *(const float *) two;
    return a < b ? -1 : a > b ? 1 : 0;
}

double
bench_lat_percentile (bench_lat_t *self, double pct)
{
    assert (self);
    if (self->size == 0)
        return -1;
    if (!self->sorted) {
        qsort (self->samples, self->size, sizeof (float), s_compare);
        self->sorted = true;
    }
    //  Nearest rank: the smallest sample with at least pct% at or below it
    size_t rank = (size_t) ceil (pct / 100.0 * (double) self->size);
    if (rank < 1)
        rank = 1;
    if (rank > self->size)
        rank = self->size;
    return self->samples [rank - 1];
}

int64_t
bench_now_ns (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000000000LL + now.tv_nsec;
}

double
bench_usecs (int64_t from_ns, int64_t to_ns)
{
    return (double) (to_ns - from_ns) / 1000.0;
}
