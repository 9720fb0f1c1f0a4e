/*  =========================================================================
    zaf_metrics - what an actor measures about itself, and how it is read

    Writers are single (the actor thread for calls, the node for the
    high-water mark), so every update is a relaxed atomic add or store and
    no update ever waits. See zaf_metrics.h for the layout.
    =========================================================================
*/

#include "zaf_classes.h"

//  Bucket upper bounds in seconds; the last bucket is +Inf
static const double s_bounds [ZAF_METRICS_BUCKETS - 1] = {
    0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5
};

double
zaf_metrics_bucket_le (int index)
{
    if (index < 0 || index >= ZAF_METRICS_BUCKETS - 1)
        return INFINITY;
    return s_bounds [index];
}

int
zaf_metrics_bucket_of (uint64_t micros)
{
    double seconds = (double) micros / 1e6;
    int index = 0;
    while (index < ZAF_METRICS_BUCKETS - 1 && seconds > s_bounds [index])
        index++;
    return index;
}

double
zaf_metrics_quantile (const uint64_t *buckets, double q)
{
    uint64_t total = 0;
    for (int index = 0; index < ZAF_METRICS_BUCKETS; index++)
        total += buckets [index];
    if (total == 0)
        return 0;
    //  The rank of q among total samples, 1-based, at least 1
    uint64_t rank = (uint64_t) ceil (q * (double) total);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (int index = 0; index < ZAF_METRICS_BUCKETS; index++) {
        seen += buckets [index];
        if (seen >= rank)
            return index < ZAF_METRICS_BUCKETS - 1 ? s_bounds [index]
                                                   : s_bounds [ZAF_METRICS_BUCKETS - 2];
    }
    return s_bounds [ZAF_METRICS_BUCKETS - 2];
}

//  --------------------------------------------------------------------------
//  The slot for method: its own, a free one it takes, or the last one
//  ("(other)") when all are taken. Actor thread only.

static zaf_metrics_method_t *
s_method_slot (zaf_metrics_actor_t *self, const char *method)
{
    //  Names are kept cut to ZAF_METRICS_METHOD_NAME - 1 bytes, and compared so
    char name [ZAF_METRICS_METHOD_NAME];
    snprintf (name, sizeof (name), "%s", method);
    for (int index = 0; index < ZAF_METRICS_METHODS - 1; index++) {
        zaf_metrics_method_t *slot = &self->methods [index];
        if (!atomic_load_explicit (&slot->used, memory_order_acquire)) {
            memcpy (slot->name, name, sizeof (name));
            atomic_store_explicit (&slot->used, true, memory_order_release);
            return slot;
        }
        if (streq (slot->name, name))
            return slot;
    }
    zaf_metrics_method_t *other = &self->methods [ZAF_METRICS_METHODS - 1];
    if (!atomic_load_explicit (&other->used, memory_order_acquire)) {
        snprintf (other->name, sizeof (other->name), "(other)");
        atomic_store_explicit (&other->used, true, memory_order_release);
    }
    return other;
}

void
zaf_metrics_record (zaf_metrics_actor_t *self, const char *method, uint64_t micros, bool failed)
{
    assert (self);
    memory_order relaxed = memory_order_relaxed;
    atomic_fetch_add_explicit (&self->calls, 1, relaxed);
    if (failed)
        atomic_fetch_add_explicit (&self->failed, 1, relaxed);
    zaf_metrics_method_t *slot = s_method_slot (self, method ? method : "?");
    atomic_fetch_add_explicit (&slot->calls, 1, relaxed);
    if (failed)
        atomic_fetch_add_explicit (&slot->failed, 1, relaxed);
    atomic_fetch_add_explicit (&slot->sum_us, micros, relaxed);
    atomic_fetch_add_explicit (&slot->buckets [zaf_metrics_bucket_of (micros)], 1, relaxed);
    atomic_fetch_add_explicit (&self->changes, 1, relaxed);
}

void
zaf_metrics_note_depth (zaf_metrics_actor_t *self, uint64_t depth)
{
    assert (self);
    if (depth > atomic_load_explicit (&self->hwm, memory_order_relaxed))
        atomic_store_explicit (&self->hwm, depth, memory_order_relaxed);
}

uint64_t
zaf_metrics_changes (zaf_metrics_actor_t *self)
{
    assert (self);
    return atomic_load_explicit (&self->changes, memory_order_relaxed);
}

//  --------------------------------------------------------------------------
//  One actor as JSON

cJSON *
zaf_metrics_actor_json (zaf_metrics_actor_t *self, const char *actor_id, uint64_t mailbox)
{
    assert (self);
    memory_order relaxed = memory_order_relaxed;
    cJSON *item = cJSON_CreateObject ();
    cJSON_AddStringToObject (item, "id", actor_id);
    cJSON_AddNumberToObject (item, "calls", (double) atomic_load_explicit (&self->calls, relaxed));
    cJSON_AddNumberToObject (item, "failed", (double) atomic_load_explicit (&self->failed, relaxed));
    cJSON_AddNumberToObject (item, "mailbox", (double) mailbox);
    cJSON_AddNumberToObject (item, "hwm", (double) atomic_load_explicit (&self->hwm, relaxed));
    cJSON *methods = cJSON_AddObjectToObject (item, "methods");
    for (int index = 0; index < ZAF_METRICS_METHODS; index++) {
        zaf_metrics_method_t *slot = &self->methods [index];
        if (!atomic_load_explicit (&slot->used, memory_order_acquire))
            continue;
        char name [ZAF_METRICS_METHOD_NAME];
        memcpy (name, slot->name, sizeof (name));
        name [sizeof (name) - 1] = 0;
        cJSON *method = cJSON_AddObjectToObject (methods, name);
        if (!method)
            continue;
        cJSON_AddNumberToObject (method, "calls", (double) atomic_load_explicit (&slot->calls, relaxed));
        cJSON_AddNumberToObject (method, "failed", (double) atomic_load_explicit (&slot->failed, relaxed));
        cJSON_AddNumberToObject (method, "sum_us", (double) atomic_load_explicit (&slot->sum_us, relaxed));
        cJSON *buckets = cJSON_AddArrayToObject (method, "buckets");
        for (int bucket = 0; bucket < ZAF_METRICS_BUCKETS; bucket++)
            cJSON_AddItemToArray (buckets, cJSON_CreateNumber (
                (double) atomic_load_explicit (&slot->buckets [bucket], relaxed)));
    }
    return item;
}

//  --------------------------------------------------------------------------
//  RSS from /proc/self/statm (second field, in pages)

uint64_t
zaf_metrics_rss (void)
{
    FILE *file = fopen ("/proc/self/statm", "r");
    if (!file)
        return 0;
    unsigned long size = 0, resident = 0;
    int fields = fscanf (file, "%lu %lu", &size, &resident);
    fclose (file);
    if (fields != 2)
        return 0;
    return (uint64_t) resident * (uint64_t) sysconf (_SC_PAGESIZE);
}
